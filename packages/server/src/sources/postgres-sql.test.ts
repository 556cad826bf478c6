import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { migrationSql } from './postgres-sql.js';

it('docs/sources.md shows exactly what `herald sources migrate` runs for the default table', () => {
  const doc = readFileSync(new URL('../../../../docs/sources.md', import.meta.url), 'utf8');
  const shown = /```sql\n(CREATE TABLE IF NOT EXISTS herald_outbox[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(shown, 'docs/sources.md has the migration block');
  assert.equal(shown.trim(), migrationSql('herald_outbox', 16).trim());
});
