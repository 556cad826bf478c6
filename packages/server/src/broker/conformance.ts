/**
 * @module broker/conformance
 * The contract of broker.ts as a test suite. Every engine's test file runs it with a factory,
 * so memory, Redis and NATS are held to the same behaviour.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { toRawJson as j, trustedRawJson } from '../json/raw.js';
import type { Broker, BrokerHandler, ChannelEvent, Publication } from './broker.js';

const H = { size: 10, ttlMs: 60_000 };

export interface ConformanceOptions {
  /** Engines whose instances share a server (Redis, NATS): also test two instances as two nodes. */
  shared?: boolean;
  /** The engine pointed at a server that is not there (engines with a server). */
  unreachable?: () => Broker;
  /** A publish under an idempotency id is stored once by the engine itself (Redis outside a cluster, NATS). */
  publishOnce?: boolean;
}

/** A handler that records what an engine hands to its node. */
export class RecordingHandler implements BrokerHandler {
  readonly publications: Publication[] = [];
  readonly heartbeats: string[] = [];
  readonly events: ChannelEvent[] = [];
  resubscribed = 0;
  onPublication(p: Publication): void {
    this.publications.push(p);
  }
  onEvent(e: ChannelEvent): void {
    this.events.push(e);
  }
  onResubscribed(): void {
    this.resubscribed++;
  }
  onHeartbeat(token: string): void {
    this.heartbeats.push(token);
  }
  on(channel: string): Publication[] {
    return this.publications.filter((p) => p.channel === channel);
  }
}

export function brokerConformance(name: string, factory: () => Broker | Promise<Broker>, options: ConformanceOptions = {}): void {
  describe(`${name} broker conformance`, () => {
    let broker: Broker;
    const handler = new RecordingHandler();
    const received = handler.publications;
    const events = handler.events;
    let prefix = 0;
    // Channel names use every character the channel rules allow, so engines must encode them safely.
    const channel = () => `conf:${Date.now()}_${prefix++}.a#b@c=d,e/f-g`;
    before(async () => {
      broker = await factory();
      await broker.start(handler);
    });
    after(() => broker.close());

    it('assigns offsets 1, 2, 3… within one epoch and delivers in offset order', async () => {
      const ch = channel();
      await broker.subscribe(ch);
      const positions = [];
      for (let i = 0; i < 5; i++) positions.push(await broker.publish(ch, { data: j(i), event: 'e' }, H));
      assert.deepEqual(positions.map((p) => p.offset), [1, 2, 3, 4, 5]);
      assert.equal(new Set(positions.map((p) => p.epoch)).size, 1);
      await waitFor(() => received.filter((p) => p.channel === ch).length === 5);
      assert.deepEqual(received.filter((p) => p.channel === ch).map((p) => [p.offset, JSON.parse(p.data), p.event]), [[1, 0, 'e'], [2, 1, 'e'], [3, 2, 'e'], [4, 3, 'e'], [5, 4, 'e']]);
    });

    it('delivers ephemeral events in order, outside offsets and history', async () => {
      const ch = channel();
      await broker.subscribe(ch);
      await broker.publish(ch, { data: j('a') }, H);
      await broker.publishEvent({ channel: ch, type: 'join', info: { user: 'u1', client: 'c1' } });
      await broker.publishEvent({ channel: ch, type: 'leave', info: { user: 'u1', client: 'c1' } });
      await waitFor(() => events.filter((e) => e.channel === ch).length === 2);
      assert.deepEqual(events.filter((e) => e.channel === ch).map((e) => e.type), ['join', 'leave']);
      const position = await broker.publish(ch, { data: j('b') }, H);
      assert.equal(position.offset, 2);
      const history = await broker.history(ch, { limit: 10 }, H);
      assert.deepEqual(history.publications.map((p) => JSON.parse(p.data)), ['a', 'b']);
    });

    it('concurrent publishes to one channel get distinct, gap-free offsets', async () => {
      const ch = channel();
      const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => broker.publish(ch, { data: j(i) }, H)));
      assert.deepEqual(positions.map((p) => p.offset).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('keeps at most `size` publications and returns the latest ones', async () => {
      const ch = channel();
      for (let i = 1; i <= 15; i++) await broker.publish(ch, { data: j(i) }, H);
      const all = await broker.history(ch, { limit: 100 }, H);
      assert.deepEqual(all.publications.map((p) => JSON.parse(p.data)), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      assert.equal(all.offset, 15);
      const latest = await broker.history(ch, { limit: 3 }, H);
      assert.deepEqual(latest.publications.map((p) => p.offset), [13, 14, 15]);
    });

    it('recovers from a position inside history, fails outside it or in another epoch', async () => {
      const ch = channel();
      let epoch = '';
      for (let i = 1; i <= 15; i++) epoch = (await broker.publish(ch, { data: j(i) }, H)).epoch;
      const ok = await broker.history(ch, { since: { offset: 9, epoch }, limit: 100 }, H);
      assert.equal(ok.recovered, true);
      assert.deepEqual(ok.publications.map((p) => p.offset), [10, 11, 12, 13, 14, 15]);
      const edge = await broker.history(ch, { since: { offset: 5, epoch }, limit: 100 }, H);
      assert.equal(edge.recovered, true, 'offset 6 is the oldest kept, so since=5 is complete');
      const truncated = await broker.history(ch, { since: { offset: 4, epoch }, limit: 100 }, H);
      assert.deepEqual([truncated.recovered, truncated.reason, truncated.publications.length], [false, 'history_truncated', 0]);
      const otherEpoch = await broker.history(ch, { since: { offset: 14, epoch: 'x' + epoch }, limit: 100 }, H);
      assert.deepEqual([otherEpoch.recovered, otherEpoch.reason], [false, 'epoch_changed']);
      const ahead = await broker.history(ch, { since: { offset: 99, epoch }, limit: 100 }, H);
      assert.deepEqual([ahead.recovered, ahead.reason], [false, 'offset_ahead']);
      const current = await broker.history(ch, { since: { offset: 15, epoch }, limit: 100 }, H);
      assert.deepEqual([current.recovered, current.publications.length], [true, 0]);
    });

    it('expires publications after their TTL', async () => {
      const ch = channel();
      const short = { size: 10, ttlMs: 100 };
      await broker.publish(ch, { data: j(1) }, short);
      await new Promise((r) => setTimeout(r, 150));
      await broker.publish(ch, { data: j(2) }, short);
      const h = await broker.history(ch, { limit: 10 }, short);
      assert.deepEqual(h.publications.map((p) => JSON.parse(p.data)), [2]);
      assert.equal(h.offset, 2, 'the offset survives expiry within an epoch');
    });

    it("relays data as the publisher's own JSON text, live and from history, with event, key, info and echo", async () => {
      const ch = channel();
      await broker.subscribe(ch);
      // Values a parse and re-serialise would change: big integer, overflow, 1.0, -0, escapes.
      const data = trustedRawJson('{"big":12345678901234567890,"inf":1e400,"a":1.0,"b":-0,"s":"\\u00e9\\n\\"}"}');
      const info = { user: 'u"1', client: 'c_1' };
      await broker.publish(ch, { data, event: 'e"v', key: 'k"1', info, echo: false }, H);
      await broker.publish(ch, { data: trustedRawJson('-0.0E+00') }, H);
      await waitFor(() => handler.on(ch).length === 2);
      const [live, plain] = handler.on(ch);
      assert.deepEqual({ ...live }, { channel: ch, offset: 1, epoch: live!.epoch, data, event: 'e"v', key: 'k"1', info, echo: false });
      assert.deepEqual({ ...plain }, { channel: ch, offset: 2, epoch: live!.epoch, data: '-0.0E+00' });
      const history = await broker.history(ch, { limit: 10 }, H);
      assert.deepEqual(history.publications.map((p) => ({ ...p })), [{ ...live }, { ...plain }]);
    });

    it('creates a stream on request so a first subscriber has a position', async () => {
      const ch = channel();
      const none = await broker.history(ch, { limit: 0 }, H);
      assert.equal(none.offset, 0);
      const created = await broker.history(ch, { limit: 0, create: true }, H);
      assert.ok(created.epoch.length > 0);
      const pub = await broker.publish(ch, { data: j(1) }, H);
      assert.deepEqual(pub, { offset: 1, epoch: created.epoch });
    });

    it('stops delivering a channel after unsubscribe', async () => {
      const [gone, kept] = [channel(), channel()];
      await broker.subscribe(gone);
      await broker.subscribe(kept);
      await broker.unsubscribe(gone);
      await broker.publish(gone, { data: j('no') }, H);
      await broker.publish(kept, { data: j('yes') }, H);
      await waitFor(() => handler.on(kept).length === 1);
      assert.equal(handler.on(gone).length, 0);
    });

    it('keeps history at size 0 empty but still counts offsets', async () => {
      const ch = channel();
      const none = { size: 0, ttlMs: 60_000 };
      await broker.publish(ch, { data: j(1) }, none);
      const second = await broker.publish(ch, { data: j(2) }, none);
      assert.equal(second.offset, 2);
      const h = await broker.history(ch, { limit: 10 }, none);
      assert.deepEqual([h.offset, h.publications.length], [2, 0]);
    });

    it('sends heartbeats back through its pub/sub and stays subscribed across resubscribe()', async () => {
      assert.equal(broker.connected, true);
      await broker.heartbeat('hb-1');
      await waitFor(() => handler.heartbeats.includes('hb-1'));
      const ch = channel();
      await broker.subscribe(ch);
      const before = handler.resubscribed;
      await broker.resubscribe();
      await waitFor(() => handler.resubscribed > before);
      await broker.publish(ch, { data: j('after') }, H);
      await waitFor(() => handler.on(ch).length === 1);
      await broker.heartbeat('hb-2');
      await waitFor(() => handler.heartbeats.includes('hb-2'));
    });

    if (options.shared) {
      it('two instances act as two nodes: one stream, delivery to both, no duplicate offsets', async () => {
        const other = await factory();
        const otherHandler = new RecordingHandler();
        await other.start(otherHandler);
        try {
          const ch = channel();
          await broker.subscribe(ch);
          await other.subscribe(ch);
          const positions = await Promise.all(
            Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? broker : other).publish(ch, { data: j(i) }, H)),
          );
          assert.deepEqual(positions.map((p) => p.offset).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
          for (const h of [handler, otherHandler]) {
            await waitFor(() => h.on(ch).length === 40);
            assert.deepEqual(h.on(ch).map((p) => p.offset), Array.from({ length: 40 }, (_, i) => i + 1), 'each node gets every offset once, in order');
          }
          const seen = await other.history(ch, { limit: 5 }, H);
          assert.deepEqual(seen.publications.map((p) => p.offset), [36, 37, 38, 39, 40]);
          // A heartbeat reaches only the node that sent it.
          await other.heartbeat('other-hb');
          await waitFor(() => otherHandler.heartbeats.includes('other-hb'));
          assert.equal(handler.heartbeats.includes('other-hb'), false);
        } finally {
          await other.close();
        }
      });

      if (options.publishOnce) {
        it('a publish repeated under the same idempotency id is stored once, from either node', async () => {
          const other = await factory();
          const otherHandler = new RecordingHandler();
          await other.start(otherHandler);
          try {
            const ch = channel();
            await other.subscribe(ch);
            const once = { id: `once-${randomBytes(6).toString('hex')}`, ttlMs: 60_000 };
            // The first node published and died (or lost the reply) before recording its answer.
            const first = await broker.publish(ch, { data: j('a') }, H, once);
            assert.deepEqual(await other.publish(ch, { data: j('a') }, H, once), first, 'the retry answers the first position');
            await other.publish(ch, { data: j('b') }, H);
            await waitFor(() => otherHandler.on(ch).length === 2);
            assert.deepEqual(otherHandler.on(ch).map((p) => p.data), ['"a"', '"b"'], 'published once');
          } finally {
            await other.close();
          }
        });
      }

      it('releasing an idempotency claim keeps an answer recorded meanwhile, on any node', async () => {
        const other = await factory();
        await other.start(new RecordingHandler());
        try {
          const store = broker.idempotencyStore!(60_000);
          const id = `release-${randomBytes(6).toString('hex')}`;
          assert.deepEqual(await store.claim(id), { state: 'claimed' });
          await store.complete(id, '{"offset":1}', 60_000);
          await other.idempotencyStore!(60_000).release(id);
          assert.equal((await store.claim(id)).state, 'done', 'an answer outlives a release');
          const pending = `pending-${randomBytes(6).toString('hex')}`;
          await store.claim(pending);
          await other.idempotencyStore!(60_000).release(pending);
          assert.deepEqual(await store.claim(pending), { state: 'claimed' }, 'a claim without an answer is released');
        } finally {
          await other.close();
        }
      });

      it('two instances share signed-request nonces', async () => {
        const other = await factory();
        await other.start(new RecordingHandler());
        try {
          assert.ok(broker.replayCache && other.replayCache, 'a shared engine has a shared replay cache');
          const key = `sig:k.1:${randomBytes(6).toString('hex')}`;
          assert.equal(await broker.replayCache().claim(key, 5000), true);
          assert.equal(await other.replayCache().claim(key, 5000), false, 'another node sees the nonce as used');
        } finally {
          await other.close();
        }
      });
    }

    const { unreachable } = options;
    if (unreachable) {
      it('fails fast with unavailable when its server cannot be reached, and reports not connected', async () => {
        const down = unreachable();
        await down.start(new RecordingHandler());
        try {
          assert.equal(down.connected, false);
          const refused = (err: Error & { code?: string }) => err.code === 'unavailable' && err.message.includes(`${down.name} engine is unavailable`);
          await assert.rejects(down.publish('x', { data: j(1) }, { size: 1, ttlMs: 1000 }), refused);
          await assert.rejects(down.subscribe('x'), refused);
        } finally {
          await down.close();
        }
      });
    }
  });
}

export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
