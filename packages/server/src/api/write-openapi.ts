/**
 * @module api/write-openapi
 * `npm run docs:openapi`: write docs/openapi.json, the document a node with the default
 * configuration serves at `GET /api/openapi.json`.
 */
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { createHerald } from '../server.js';
import { OPENAPI_PATH } from './openapi.js';

const herald = createHerald(loadConfig({ object: { server: { host: '127.0.0.1', port: 0 } }, env: {} }), { logger: pino({ level: 'silent' }) });
const { port } = await herald.start();
try {
  const document = (await (await fetch(`http://127.0.0.1:${port}${OPENAPI_PATH}`)).json()) as unknown;
  writeFileSync(new URL('../../../../docs/openapi.json', import.meta.url), `${JSON.stringify(document, null, 2)}\n`);
  console.log('wrote docs/openapi.json');
} finally {
  await herald.close();
}
