/**
 * No doc points at something that is not there: every relative link (and its #anchor) in
 * README.md and docs/*.md, and every docs/… path named in source comments, scripts and config.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { anchors, linkTargets, ROOT } from './markdown.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Where source comments may name docs: sources, scripts, deployment files and config. */
const SOURCE_DIRS = ['packages', 'bench', 'test', 'scripts', 'deploy', 'config'];

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|js|mjs|sh|ya?ml|conf|html|css)$|^Dockerfile$/.test(entry.name)) yield path;
  }
}

function inside(path: string): boolean {
  const rel = relative(ROOT, path);
  return !rel.startsWith('..') && rel !== '';
}

describe('doc links', () => {
  it('every relative link in README.md and docs/*.md names a file in the repository (and a heading that exists)', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: — not files
        checked++;
        const [path = '', anchor] = target.split('#', 2);
        const file = path === '' ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), decodeURIComponent(path));
        if (!inside(file)) broken.push(`${doc}: ${target} points outside the repository`);
        else if (!existsSync(file)) broken.push(`${doc}: ${target} does not exist`);
        else if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${doc}: ${target}: no heading "#${anchor}"`);
      }
    }
    console.log(`doc links: ${checked} relative links in ${DOCS.length} docs checked, ${broken.length} broken`);
    assert.deepEqual(broken, []);
  });

  it('every docs/… path named in sources, scripts and config exists', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const dir of SOURCE_DIRS) {
      for (const file of sourceFiles(join(ROOT, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])docs\/[\w.-]+\.(?:md|json|png|ya?ml)\b/g)) {
          checked++;
          if (!existsSync(join(ROOT, m[0]))) missing.push(`${relative(ROOT, file)}: ${m[0]}`);
        }
      }
    }
    console.log(`doc paths in sources: ${checked} checked, ${missing.length} missing`);
    assert.ok(checked > 10, 'the scan found the references it is meant to check');
    assert.deepEqual(missing, []);
  });
});
