/**
 * Webhooks against a real local HTTP receiver: signatures, retries after 5xx, event order, and a
 * hanging receiver that must not slow message delivery (compared by ratio with a baseline).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { api, publish, sleep, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { receiver } from '../test/webhook-receiver.js';
import { retryDelay, signWebhook, TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER } from './webhooks.js';

const SECRET = 'webhook-secret-0123456789';

const ALL = ['channel.occupied', 'channel.vacated', 'presence.join', 'presence.leave', 'client.publish'];

describe('webhooks', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('posts signed events: occupied, presence join/leave, client publish, vacated, in order', async () => {
    const hook = await receiver();
    cleanup.push(hook.close);
    const server = await startServer({
      webhooks: [{ url: hook.url, secret: SECRET, events: ALL }],
      namespaces: { chat: { presence: true, allow_client_publish: true } },
    });
    cleanup.push(server.close);
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('chat:1');
    await waitUntil(() => hook.received.length >= 2, 3000, () => JSON.stringify(hook.received.map((r) => r.json.type)));
    // Sent as text: the webhook carries data byte-exact, as subscribers get it.
    assert.ok('ok' in (await c.requestRaw((id) => `{"id":${id},"type":"publish","channel":"chat:1","data":{"text":"hi","n":12345678901234567890, "x":1e400}}`)));
    c.close();
    await waitUntil(() => hook.received.length >= 5, 3000, () => JSON.stringify(hook.received.map((r) => r.json.type)));
    assert.deepEqual(hook.received.map((r) => r.json.type), ['channel.occupied', 'presence.join', 'client.publish', 'channel.vacated', 'presence.leave'].sort((a, b) => order(a) - order(b)));
    const client = hook.received[1]!.json.info!.client;
    assert.deepEqual(hook.received[2]!.json.info, { user: client, client });
    assert.ok(hook.received[2]!.body.includes('"data":{"text":"hi","n":12345678901234567890,"x":1e400}'), hook.received[2]!.body);
    for (const r of hook.received) {
      const timestamp = r.headers[TIMESTAMP_HEADER] as string;
      assert.match(timestamp, /^\d+$/);
      assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 60);
      assert.equal(r.headers[WEBHOOK_SIGNATURE_HEADER], signWebhook(SECRET, timestamp, r.body));
      assert.notEqual(r.headers[WEBHOOK_SIGNATURE_HEADER], signWebhook('another-secret-0123456789', timestamp, r.body));
      assert.equal(r.json.channel, 'chat:1');
    }
  });

  it('retries after 500s with backoff, no sooner than retry_base_ms, keeping order and the event id', async () => {
    const BASE = 200;
    const answered: number[] = [];
    const hook = await receiver((n, res) => {
      res.statusCode = n < 2 ? 500 : 200;
      res.end();
      answered.push(performance.now());
    });
    cleanup.push(hook.close);
    const server = await startServer({ webhooks: [{ url: hook.url, secret: SECRET, events: ['channel.occupied', 'channel.vacated'], retry_base_ms: BASE }] });
    cleanup.push(server.close);
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('room');
    await c.request({ type: 'unsubscribe', channel: 'room' });
    await waitUntil(() => server.herald.webhooks.stats()[0]!.delivered === 2, 5000, () => JSON.stringify(server.herald.webhooks.stats()));
    const types = hook.received.map((r) => r.json.type);
    assert.deepEqual(types, ['channel.occupied', 'channel.occupied', 'channel.occupied', 'channel.vacated']);
    assert.equal(new Set(hook.received.slice(0, 3).map((r) => r.json.id)).size, 1);
    // Lower bounds only (a timer never fires early): the first retry waits the base, the second twice it.
    assert.ok(answered[1]! - answered[0]! >= BASE, `first retry after ${answered[1]! - answered[0]!} ms`);
    assert.ok(answered[2]! - answered[1]! >= 2 * BASE, `second retry after ${answered[2]! - answered[1]!} ms`);
    const res = await api(server, '/api/webhooks');
    assert.deepEqual(res.json.webhooks, [{ url: hook.url, delivered: 2, failed: 0, dropped: 0, queued: 0 }]);
    c.close();
  });

  it('retry delays: retry_base_ms doubled per attempt, jitter adding up to half, capped at retry_max_ms', () => {
    const config = { retry_base_ms: 500, retry_max_ms: 3_000 };
    assert.deepEqual([1, 2, 3].map((attempt) => retryDelay(attempt, config, 0)), [500, 1_000, 2_000]);
    assert.deepEqual([1, 2, 3].map((attempt) => retryDelay(attempt, config, 1)), [750, 1_500, 3_000]);
    assert.equal(retryDelay(10, config, 0), 3_000);
  });

  it('a hanging receiver does not slow message delivery; its overflow is dropped and counted', async () => {
    async function deliveryTime(server: TestServer): Promise<number> {
      const subs = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(server.wsUrl)));
      const start = performance.now();
      // Every subscribe and unsubscribe is an occupancy event for the receiver.
      for (let round = 0; round < 10; round++) {
        const channel = `t${round}`;
        await Promise.all(subs.map((s) => s.subscribe(channel)));
        await publish(server, channel, round);
        await Promise.all(subs.map((s) => s.waitForMessages(1, channel)));
        await Promise.all(subs.map((s) => s.request({ type: 'unsubscribe', channel })));
      }
      const elapsed = performance.now() - start;
      for (const s of subs) s.close();
      return elapsed;
    }
    const fast = await receiver();
    cleanup.push(fast.close);
    const hanging = await receiver(() => {});
    cleanup.push(hanging.close);
    const events = ['channel.occupied', 'channel.vacated'];
    const baseline = await startServer({ webhooks: [{ url: fast.url, secret: SECRET, events }] });
    cleanup.push(baseline.close);
    const stuck = await startServer({ webhooks: [{ url: hanging.url, secret: SECRET, events, timeout_ms: 60_000, queue_size: 5 }] });
    cleanup.push(stuck.close);
    await deliveryTime(baseline); // warm-up
    const base = await deliveryTime(baseline);
    const slow = await deliveryTime(stuck);
    // Generous ratio (machines are noisy); a receiver that blocked delivery would cost ~60 s.
    assert.ok(slow < base * 3 + 50, `delivery took ${slow.toFixed(0)} ms with a hanging receiver vs ${base.toFixed(0)} ms`);
    await sleep(50);
    assert.equal(hanging.received.length, 1, 'one request in flight, the rest queued');
    const stats = stuck.herald.webhooks.stats()[0]!;
    assert.equal(stats.queued, 5);
    assert.ok(stats.dropped > 0, JSON.stringify(stats));
    const metrics = await (await fetch(`${stuck.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^herald_webhook_events_dropped_total ${stats.dropped}$`, 'm'));
    assert.match(metrics, /^herald_webhook_queue_depth 5$/m);
  });
});

/** Occupied comes first and vacated after the publish; presence follows its channel event. */
function order(type: string): number {
  return ['channel.occupied', 'presence.join', 'client.publish', 'channel.vacated', 'presence.leave'].indexOf(type);
}
