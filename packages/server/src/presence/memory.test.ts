/**
 * The presence store contract (presence/presence.ts) on the memory store: per-user join/leave
 * transitions and TTL expiry reported as a leave.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { pino } from 'pino';
import { MemoryPresenceStore } from './memory.js';
import { toMembers, type PresenceEntry } from './presence.js';
import { PresenceTracker, presenceTiming } from './tracker.js';

describe('memory presence store', () => {
  it('joins with a user\'s first connection and leaves with its last', async () => {
    const store = new MemoryPresenceStore();
    await store.start({ onExpired: () => {} });
    assert.deepEqual(await store.add('ch', { user: 'u1', client: 'a' }, 60_000), { joined: true });
    assert.deepEqual(await store.add('ch', { user: 'u1', client: 'b' }, 60_000), { joined: false });
    assert.deepEqual(await store.add('ch', { user: 'u1', client: 'b' }, 60_000), { joined: false }, 'a re-add is a refresh');
    assert.deepEqual(await store.add('ch', { user: 'u2', client: 'c' }, 60_000), { joined: true });
    assert.deepEqual(toMembers(await store.entries('ch')), [{ user: 'u1', clients: ['a', 'b'] }, { user: 'u2', clients: ['c'] }]);
    assert.equal((await store.remove('ch', 'a')).left, false);
    assert.deepEqual(await store.remove('ch', 'b'), { left: true, entry: { user: 'u1', client: 'b' } });
    assert.deepEqual(await store.remove('ch', 'b'), { left: false }, 'removing twice is a no-op');
    assert.deepEqual(await store.entries('other'), []);
    await store.close();
  });

  it('expires entries that are not refreshed, reporting the user\'s last one as a leave', async () => {
    const store = new MemoryPresenceStore({ sweepIntervalMs: 10 });
    const expired: Array<[string, PresenceEntry]> = [];
    await store.start({ onExpired: (channel, entry) => expired.push([channel, entry]) });
    await store.add('ch', { user: 'u1', client: 'a' }, 200);
    await store.add('ch', { user: 'u1', client: 'b' }, 200);
    await store.add('ch', { user: 'u2', client: 'c' }, 200);
    // Refreshed far more often than its TTL, so a loaded machine's late timers do not expire it.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      await store.refresh([{ channel: 'ch', client: 'c' }], 200);
    }
    assert.deepEqual(expired, [['ch', { user: 'u1', client: 'b' }]]);
    assert.deepEqual(toMembers(await store.entries('ch')), [{ user: 'u2', clients: ['c'] }]);
    await store.close();
  });

  it('a dead node\'s member leaves within presence.ttl_seconds of its last refresh, sweep included', async (t) => {
    // A mocked clock: the bound is exact, and a loaded machine's late timers must not decide it.
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 });
    t.after(() => mock.timers.reset());
    // In small steps: one big tick runs every due timer with the clock already at its end.
    const advance = (ms: number) => {
      for (let i = 0; i < ms / 100; i++) mock.timers.tick(100);
    };
    const ttlMs = 60_000;
    // Refreshes at 7 s steps fall between the 5 s sweeps: an entry living the whole TTL would be swept up to 5 s late.
    const refreshMs = 7_000;
    const { sweepIntervalMs, entryTtlMs } = presenceTiming(ttlMs);
    assert.equal(sweepIntervalMs, 5_000);
    const store = new MemoryPresenceStore({ sweepIntervalMs });
    const events: string[] = [];
    const tracker = new PresenceTracker(store, { ttlMs: entryTtlMs, refreshMs, announce: (type, _channel, entry) => void events.push(`${type} ${entry.user}`) }, pino({ level: 'silent' }));
    await tracker.start();
    await tracker.join('ch', { user: 'u1', client: 'a' });
    advance(3 * refreshMs);
    assert.deepEqual(events, ['join u1'], 'refreshed entries stay');
    const lastRefresh = Date.now();
    tracker.freeze('a');
    advance(ttlMs);
    assert.equal(Date.now(), lastRefresh + ttlMs);
    assert.deepEqual(events, ['join u1', 'leave u1']);
    await tracker.close();
    await store.close();
  });
});
