import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelQueue } from './channel-queue.js';

/** A task that records when it starts and finishes, and settles when the test says so. */
function task(log: string[], name: string) {
  let settle!: (fail: boolean) => void;
  const run = () =>
    new Promise<string>((resolve, reject) => {
      log.push(`start ${name}`);
      settle = (fail) => {
        log.push(`end ${name}`);
        if (fail) reject(new Error(name));
        else resolve(name);
      };
    });
  return { run, settle: (fail = false) => settle(fail) };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('ChannelQueue', () => {
  it('runs one task at a time per channel, in order, and channels side by side', async () => {
    const queue = new ChannelQueue();
    const log: string[] = [];
    const [a1, a2, b1] = [task(log, 'a1'), task(log, 'a2'), task(log, 'b1')];
    const results = [queue.run('a', a1.run), queue.run('a', a2.run), queue.run('b', b1.run)];
    await turn();
    assert.deepEqual(log, ['start a1', 'start b1'], 'a2 waits for a1; b1 does not');
    a1.settle();
    await turn();
    assert.deepEqual(log.slice(2), ['end a1', 'start a2']);
    a2.settle();
    b1.settle();
    assert.deepEqual(await Promise.all(results), ['a1', 'a2', 'b1']);
    await turn();
    assert.equal(queue.size, 0, 'nothing kept once the queues are empty');
  });

  it('a failed task fails only its own caller; the next one still runs', async () => {
    const queue = new ChannelQueue();
    const log: string[] = [];
    const [first, second] = [task(log, 'first'), task(log, 'second')];
    const failed = queue.run('a', first.run);
    const next = queue.run('a', second.run);
    await turn();
    first.settle(true);
    await assert.rejects(failed, /first/);
    await turn();
    second.settle();
    assert.equal(await next, 'second');
  });
});
