#!/usr/bin/env node
// The `herald` command's entry in package.json "bin". It is committed (not built) so that
// `npm install` in a fresh clone can link it as `npx herald` before anything is compiled; the
// command itself is dist/bin/herald.js, which `npm start` / `npm run build` produce.
const entry = new URL('../dist/bin/herald.js', import.meta.url);
try {
  await import(entry.href);
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(entry.pathname)) throw err;
  process.stderr.write('herald: not built yet: run `npm run build` (or `npm start`) in the Herald repository first\n');
  process.exit(1);
}
