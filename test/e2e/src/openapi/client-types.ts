/**
 * @module openapi/client-types
 * The TypeScript client of the HTTP API, generated from docs/openapi.json by openapi-typescript
 * (types only; openapi-fetch is the runtime). Checked in as herald-api.d.ts so that the client
 * test compiles against it; `npm run docs:openapi` rewrites it and openapi-client.test.ts checks
 * it is current.
 */
import openapiTS, { astToString } from 'openapi-typescript';

const repo = new URL('../../../../', import.meta.url);
export const SPEC = new URL('docs/openapi.json', repo);
export const CLIENT_TYPES = new URL('test/e2e/src/openapi/herald-api.d.ts', repo);

const HEADER = '// Generated from docs/openapi.json by openapi-typescript: do not edit (npm run docs:openapi).\n\n';

export async function renderClientTypes(): Promise<string> {
  return HEADER + astToString(await openapiTS(SPEC));
}
