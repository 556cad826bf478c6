/**
 * The presence store contract (presence/presence.ts) on the memory store: per-user join/leave
 * transitions and TTL expiry reported as a leave.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryPresenceStore } from './memory.js';
import { toMembers, type PresenceEntry } from './presence.js';

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
});
