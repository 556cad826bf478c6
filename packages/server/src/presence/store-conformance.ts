/**
 * @module presence/store-conformance
 * The contract of a presence store shared by several nodes (presence/presence.ts,
 * presence/shared.ts) as a test suite, run by each shared engine's test file: three engine
 * instances stand for three nodes on one Redis or NATS.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../broker/broker.js';
import { RecordingHandler } from '../broker/conformance.js';
import { waitUntil } from '../test/helpers.js';
import { toMembers, type PresenceEntry, type PresenceStore, type PresenceStoreHandler } from './presence.js';

const TTL_MS = 600;
const SWEEP_MS = 50;

class Node implements PresenceStoreHandler {
  readonly expired: Array<[string, PresenceEntry]> = [];
  readonly restored: Array<[string, PresenceEntry]> = [];
  store!: PresenceStore;
  #beating: NodeJS.Timeout | undefined;
  constructor(readonly broker: Broker) {}
  async start(): Promise<this> {
    await this.broker.start(new RecordingHandler());
    this.store = this.broker.presenceStore!('presence', SWEEP_MS);
    await this.store.start(this);
    this.beat();
    return this;
  }
  /** Refresh far more often than the TTL, so a loaded machine's late timers do not expire a live node. */
  beat(): void {
    clearInterval(this.#beating);
    this.#beating = setInterval(() => void this.store.refresh([], TTL_MS).catch(() => {}), TTL_MS / 6).unref();
  }
  /** Stop refreshing and sweeping, as a node that died would. */
  async stop(): Promise<void> {
    clearInterval(this.#beating);
    await this.store.close();
  }
  onExpired(channel: string, entry: PresenceEntry): void {
    this.expired.push([channel, entry]);
  }
  onRestored(channel: string, entry: PresenceEntry): void {
    this.restored.push([channel, entry]);
  }
  async close(): Promise<void> {
    await this.stop();
    await this.broker.close();
  }
}

export function presenceStoreConformance(name: string, factory: () => Broker): void {
  describe(`${name} presence store shared by three nodes`, () => {
    let a: Node, b: Node, c: Node;
    const channel = () => `pr_${randomBytes(4).toString('hex')}`;
    before(async () => {
      [a, b, c] = await Promise.all([new Node(factory()).start(), new Node(factory()).start(), new Node(factory()).start()]);
    });
    after(() => Promise.all([a, b, c].map((n) => n.close())));

    it('joins with a user\'s first connection on any node and leaves with its last', async () => {
      const ch = channel();
      assert.deepEqual(await a.store.add(ch, { user: 'u1', client: 'a1' }, TTL_MS), { joined: true });
      assert.deepEqual(await b.store.add(ch, { user: 'u1', client: 'b1' }, TTL_MS), { joined: false }, 'same user on another node');
      assert.deepEqual(await b.store.add(ch, { user: 'u1', client: 'b1' }, TTL_MS), { joined: false }, 'a re-add replaces');
      assert.deepEqual(await c.store.add(ch, { user: 'u2', client: 'c1' }, TTL_MS), { joined: true });
      for (const node of [a, b, c]) {
        const members = toMembers(await node.store.entries(ch)).map((m) => ({ ...m, clients: m.clients.sort() }));
        assert.deepEqual(members.sort((x, y) => x.user.localeCompare(y.user)), [{ user: 'u1', clients: ['a1', 'b1'] }, { user: 'u2', clients: ['c1'] }]);
      }
      assert.deepEqual(await a.store.remove(ch, 'a1'), { left: false, entry: { user: 'u1', client: 'a1' } });
      assert.deepEqual(await b.store.remove(ch, 'b1'), { left: true, entry: { user: 'u1', client: 'b1' } });
      assert.deepEqual(await b.store.remove(ch, 'b1'), { left: false }, 'removing twice is a no-op');
      assert.deepEqual(await c.store.remove(ch, 'c1'), { left: true, entry: { user: 'u2', client: 'c1' } });
      assert.deepEqual(await a.store.entries(ch), []);
    });

    it('settles concurrent joins of one user on three nodes with exactly one join', async () => {
      const ch = channel();
      const results = await Promise.all([a, b, c].flatMap((n, i) => [0, 1].map((j) => n.store.add(ch, { user: 'same', client: `n${i}c${j}` }, TTL_MS))));
      assert.equal(results.filter((r) => r.joined).length, 1);
      const removed = await Promise.all([a, b, c].flatMap((n, i) => [0, 1].map((j) => n.store.remove(ch, `n${i}c${j}`))));
      assert.equal(removed.filter((r) => r.left).length, 1);
    });

    it('removes a dead node\'s entries after the TTL, reporting each user it leaves exactly once', async (t) => {
      const ch = channel();
      const dead = await new Node(factory()).start();
      t.after(() => dead.close());
      await a.store.add(ch, { user: 'stays', client: 'a1' }, TTL_MS);
      await dead.store.add(ch, { user: 'stays', client: 'd1' }, TTL_MS);
      await dead.store.add(ch, { user: 'goes', client: 'd2' }, TTL_MS);
      await dead.store.add(ch, { user: 'goes', client: 'd3' }, TTL_MS);
      await dead.stop();
      await waitUntil(async () => (await c.store.entries(ch)).length === 1, 10_000, () => 'dead node cleaned up');
      const expired = [a, b, c].flatMap((n) => n.expired.filter(([channel]) => channel === ch));
      assert.deepEqual(expired, [[ch, { user: 'goes', client: expired[0]?.[1].client }]], 'one leave, for the user with no entry left');
      assert.ok(['d2', 'd3'].includes(expired[0]![1].client));
      assert.deepEqual(await b.store.entries(ch), [{ user: 'stays', client: 'a1' }]);
      await a.store.remove(ch, 'a1');
    });

    it('puts back the entries of a node taken for dead once it beats again', async (t) => {
      const ch = channel();
      const cut = await new Node(factory()).start();
      t.after(() => cut.close());
      await cut.store.add(ch, { user: 'back', client: 'k1' }, TTL_MS);
      await cut.stop();
      await waitUntil(() => a.expired.concat(b.expired, c.expired).some(([channel]) => channel === ch), 10_000, () => 'taken for dead');
      cut.beat();
      await waitUntil(() => cut.restored.length > 0, 10_000, () => 'restored');
      assert.deepEqual(cut.restored, [[ch, { user: 'back', client: 'k1' }]]);
      assert.deepEqual(await a.store.entries(ch), [{ user: 'back', client: 'k1' }]);
      // Alive again under its new id: nobody cleans it up any more.
      await new Promise((r) => setTimeout(r, TTL_MS * 2));
      assert.deepEqual(await a.store.entries(ch), [{ user: 'back', client: 'k1' }]);
      assert.deepEqual(await cut.store.remove(ch, 'k1'), { left: true, entry: { user: 'back', client: 'k1' } });
    });
  });
}
