import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from './batcher.js';
import type { SourceRecord, Verdict } from './source.js';

const record = (n: number): SourceRecord => ({ id: String(n), fields: { n: String(n) } });
const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), 'timed out');
};

describe('batcher for push-style sources', () => {
  it('hands records over in arrival order, a full batch at once and the rest after the linger, and settles each', async () => {
    const batches: string[][] = [];
    const settled: string[] = [];
    const batcher = new Batcher(async (batch) => {
      batches.push(batch.map((r) => r.id));
      return batch.map((): Verdict => ({ kind: 'ack' }));
    }, { size: 3, lingerMs: 30 });
    for (let n = 1; n <= 4; n++) batcher.push(record(n), async () => void settled.push(String(n)));
    await until(() => settled.length === 4);
    assert.deepEqual(batches, [['1', '2', '3'], ['4']]);
    assert.deepEqual(settled, ['1', '2', '3', '4']);
    assert.equal(batcher.pending, 0);
    await batcher.close();
  });

  it('keeps a retried record ahead of younger ones, and settles a dead one with its reason', async () => {
    const seen: string[] = [];
    const settled: string[] = [];
    let failures = 1;
    const batcher = new Batcher(async (batch) => {
      seen.push(...batch.map((r) => r.id));
      return batch.map((r): Verdict => {
        if (r.id === '2' && failures-- > 0) return { kind: 'retry', reason: 'engine down' };
        if (r.id === '3') return { kind: 'dead', reason: 'bad_json: no' };
        return { kind: 'ack' };
      });
    }, { size: 2, lingerMs: 1 });
    for (let n = 1; n <= 4; n++) batcher.push(record(n), async (v) => void settled.push(`${n}:${v.kind}`));
    await until(() => settled.length === 4);
    assert.deepEqual(seen, ['1', '2', '2', '3', '4'], 'record 2 again before 3 and 4');
    assert.deepEqual(settled, ['1:ack', '2:ack', '3:dead', '4:ack']);
    await batcher.close();
  });

  it('close() waits for the batch in flight; nothing is taken afterwards', async () => {
    let release!: () => void;
    const settled: string[] = [];
    const batcher = new Batcher(async (batch) => {
      await new Promise<void>((r) => (release = r));
      return batch.map((): Verdict => ({ kind: 'ack' }));
    }, { size: 1, lingerMs: 1 });
    batcher.push(record(1), async () => void settled.push('1'));
    await until(() => release !== undefined);
    const closed = batcher.close();
    batcher.push(record(2), async () => void settled.push('2'));
    release();
    await closed;
    assert.deepEqual(settled, ['1']);
  });
});
