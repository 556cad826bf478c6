/**
 * @module sources/peek-check
 * The dry-run check the broker sources' tests share: records written to a fresh place are listed
 * by `peek`, oldest first, and are still there for a second look (peek settles nothing).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import type { SourceConfig } from '../config/source-schema.js';
import type { SourcePlace } from './conformance.js';
import type { DryRunnable } from './source.js';

export async function checkPeek(place: (name: string) => Promise<SourcePlace>, make: (name: string, config: SourceConfig, log: Logger) => DryRunnable): Promise<void> {
  const name = `s_${randomBytes(4).toString('hex')}`;
  const where = await place(name);
  try {
    const parsed = loadConfig({ object: { sources: { [name]: where.config } }, env: {} }).sources[name]!;
    await where.write([0, 1, 2].map((seq) => ({ channel: 'src:peek', data: `{"seq":${seq}}` })));
    const peek = () => make(name, parsed, pino({ level: 'silent' })).peek(10);
    const first = await peek();
    assert.deepEqual(first.map((r) => [r.fields.channel, r.fields.data]), [0, 1, 2].map((seq) => ['src:peek', `{"seq":${seq}}`]));
    assert.deepEqual((await peek()).map((r) => r.id), first.map((r) => r.id), 'still there, in the same order, for a second look');
  } finally {
    await where.remove();
  }
}
