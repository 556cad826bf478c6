/**
 * @module openapi/write-client
 * `npm run docs:openapi` (after docs/openapi.json): regenerate the checked-in client types.
 */
import { writeFileSync } from 'node:fs';
import { CLIENT_TYPES, renderClientTypes } from './client-types.js';

writeFileSync(CLIENT_TYPES, await renderClientTypes());
console.log('wrote test/e2e/src/openapi/herald-api.d.ts');
