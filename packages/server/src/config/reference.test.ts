import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from './load.js';
import { renderExampleYaml, renderReferenceMarkdown } from './reference.js';

const repo = new URL('../../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), 'utf8');
const hint = 'run `npm run docs:config` and commit the result';

describe('config reference', () => {
  it(`config/herald.example.yaml matches the schema (${hint})`, () => {
    assert.equal(read('config/herald.example.yaml'), renderExampleYaml());
  });

  it(`docs/configuration.md matches the schema (${hint})`, () => {
    assert.equal(read('docs/configuration.md'), renderReferenceMarkdown());
  });

  it('the example file is itself a valid configuration', () => {
    const config = loadConfig({ env: {}, object: parse(renderExampleYaml()) as Record<string, unknown> });
    assert.equal(config.namespaces.chat!.allow_client_publish, true);
  });
});
