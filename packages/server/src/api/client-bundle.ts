/**
 * @module api/client-bundle
 * Serves the browser build of @herald/client at `/client.js`, so a page needs nothing but
 * `import { connect } from 'https://your-herald/client.js'`. Read once at start; cached by
 * browsers for an hour (it changes only with a Herald upgrade).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

export function registerClientBundle(app: FastifyInstance): void {
  let bundle: Buffer | undefined;
  try {
    bundle = readFileSync(createRequire(import.meta.url).resolve('@herald/client/browser-bundle'));
  } catch {
    app.log.warn('browser client bundle not built (npm run build); /client.js will answer 404');
  }
  app.get('/client.js', async (_req, reply) => {
    if (!bundle) return reply.status(404).send({ error: { code: 'not_found', message: 'client bundle not built: run npm run build' } });
    // Pages on other origins load it as a module script, which is fetched in CORS mode.
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('access-control-allow-origin', '*')
      .send(bundle);
  });
}
