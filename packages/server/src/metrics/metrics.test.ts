import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { api, connectOutcome, publish, sleep, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';

/** Every sample of a Prometheus text exposition, keyed `name{labels}` exactly as printed. */
async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(server.url + '/metrics', { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('GET /metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('counts exactly the traffic sent: connections, subscriptions, channels, publishes, deliveries, auth failures', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => TestClient.connect(server.wsUrl)));
    await a!.subscribe('m1');
    await a!.subscribe('m2');
    await b!.subscribe('m1');
    await c!.subscribe('m2');
    for (let i = 0; i < 5; i++) {
      await publish(server, 'm1', i);
      await publish(server, 'm2', i);
    }
    await Promise.all([a!.waitForMessages(10), b!.waitForMessages(5), c!.waitForMessages(5)]);
    assert.equal((await api(server, '/api/publish', { body: { channel: 'm1', data: 0 }, headers: { authorization: 'Bearer wrong-key-wrong-key' } })).status, 401);
    assert.equal((await api(server, '/api/publish', { body: { channel: 'm1', data: 0 }, headers: { authorization: '' } })).status, 401);

    const m = await scrape(server);
    assert.equal(m.get('herald_connections{transport="websocket"}'), 3);
    assert.equal(m.get('herald_connections{transport="sse"}'), 0);
    assert.equal(m.get('herald_connections{transport="longpoll"}'), 0);
    assert.equal(m.get('herald_subscriptions'), 4);
    assert.equal(m.get('herald_channels'), 2);
    assert.equal(m.get('herald_messages_published_total'), 10);
    assert.equal(m.get('herald_messages_delivered_total'), 20);
    assert.equal(m.get('herald_messages_dropped_total'), 0);
    assert.equal(m.get('herald_slow_consumer_disconnects_total'), 0);
    assert.equal(m.get('herald_auth_failures_total{kind="publisher",reason="invalid_credentials"}'), 1);
    assert.equal(m.get('herald_auth_failures_total{kind="publisher",reason="missing_credentials"}'), 1);
    assert.equal(m.get('herald_fanout_latency_seconds_count'), 10, 'one observation per publication with local subscribers');
    assert.equal(m.get('herald_webhook_queue_depth'), 0);
    assert.equal(m.get('herald_webhook_events_dropped_total'), 0);
    assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(m.has('nodejs_eventloop_lag_seconds'));

    for (const client of [a, b, c]) client!.close();
    await waitUntil(async () => (await scrape(server)).get('herald_connections{transport="websocket"}') === 0, 2000, () => 'connections to drop to 0');
    const after = await scrape(server);
    assert.equal(after.get('herald_subscriptions'), 0);
    assert.equal(after.get('herald_channels'), 0);
  });
});

describe('metrics: slow consumers and protection', () => {
  it('counts one slow-consumer disconnect, and the one frame it could not take, when a reader is cut', async () => {
    const server = await startServer({ limits: { send_buffer_bytes: 16 * 1024, max_body_bytes: 1 << 20 } });
    try {
      const slow = await TestClient.connect(server.wsUrl);
      await slow.subscribe('firehose');
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const payload = 'x'.repeat(4096);
      // Publish until the server has cut the reader (bounded: at most ~40 MiB).
      for (let sent = 0; sent < 10_000 && server.herald.hub.subscriberCount('firehose') > 0; sent += 20) {
        await Promise.all(Array.from({ length: 20 }, () => publish(server, 'firehose', payload)));
        await sleep(1);
      }
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      assert.equal((await slow.closed).code, CloseCode.SlowConsumer);
      const m = await scrape(server);
      assert.equal(m.get('herald_slow_consumer_disconnects_total'), 1);
      assert.equal(m.get('herald_messages_dropped_total'), 1);
    } finally {
      await server.close();
    }
  });

  it('counts refused client tokens by reason', async () => {
    const server = await startServer({ auth: { jwt: { secrets: ['client-secret-0123456789'] } } });
    try {
      for (const token of ['not-a-jwt', 'still-not-a-jwt']) {
        const outcome = await connectOutcome(`${server.wsUrl}?token=${token}`);
        assert.equal(outcome.code, CloseCode.Unauthorized);
      }
      const m = await scrape(server);
      assert.equal(m.get('herald_auth_failures_total{kind="client",reason="invalid_token"}'), 2);
      assert.equal(m.get('herald_connections{transport="websocket"}'), 0);
    } finally {
      await server.close();
    }
  });

  it('with metrics.token, answers only that bearer token; metrics.enabled false removes the route', async () => {
    const server = await startServer({ metrics: { token: 'scrape-secret-123' } });
    const off = await startServer({ metrics: { enabled: false } });
    try {
      assert.equal((await fetch(server.url + '/metrics')).status, 401);
      assert.equal((await fetch(server.url + '/metrics', { headers: { authorization: 'Bearer nope' } })).status, 401);
      const m = await scrape(server, { authorization: 'Bearer scrape-secret-123' });
      assert.equal(m.get('herald_messages_published_total'), 0);
      assert.equal((await fetch(off.url + '/metrics')).status, 404);
    } finally {
      await server.close();
      await off.close();
    }
  });
});
