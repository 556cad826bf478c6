/**
 * @module config/write-reference
 * `npm run docs:config`: rewrite the generated config reference files.
 */
import { writeFileSync } from 'node:fs';
import { renderExampleYaml, renderReferenceMarkdown } from './reference.js';

const repo = new URL('../../../../', import.meta.url);
writeFileSync(new URL('config/herald.example.yaml', repo), renderExampleYaml());
writeFileSync(new URL('docs/configuration.md', repo), renderReferenceMarkdown());
console.log('wrote config/herald.example.yaml and docs/configuration.md');
