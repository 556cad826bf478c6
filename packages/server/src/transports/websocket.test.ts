import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { api, publish, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';

describe('WebSocket fan-out', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ namespaces: { default: {}, orders: { history_size: 50 } } });
  });
  after(() => server.close());

  it('greets with connected, then delivers a publish to a subscriber', async () => {
    const c = await TestClient.connect(server.wsUrl);
    const hello = c.frames[0]!;
    assert.equal(hello.type, 'connected');
    assert.ok(hello.type === 'connected' && hello.client.startsWith('c_') && hello.ping > 0);
    const sub = await c.subscribe('news');
    const res = await publish(server, 'news', { n: 1 }, 'created');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { channel: 'news', offset: sub.offset + 1, epoch: sub.epoch });
    const [msg] = await c.waitForMessages(1, 'news');
    assert.deepEqual(msg, { type: 'message', channel: 'news', offset: sub.offset + 1, epoch: sub.epoch, event: 'created', data: { n: 1 } });
    c.close();
  });

  it('isolates channels: a subscriber only sees its own channels', async () => {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    await a.subscribe('orders:1');
    await b.subscribe('orders:2');
    await publish(server, 'orders:1', 'for-a');
    await publish(server, 'orders:2', 'for-b');
    await publish(server, 'orders:3', 'for-nobody');
    await a.waitForMessages(1);
    await b.waitForMessages(1);
    await sleep(50);
    assert.deepEqual(a.messages().map((m) => m.data), ['for-a']);
    assert.deepEqual(b.messages().map((m) => m.data), ['for-b']);
    a.close();
    b.close();
  });

  it('unsubscribe stops delivery', async () => {
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('orders:unsub');
    await publish(server, 'orders:unsub', 1);
    await c.waitForMessages(1);
    const reply = await c.request({ type: 'unsubscribe', channel: 'orders:unsub' });
    assert.ok('ok' in reply);
    await publish(server, 'orders:unsub', 2);
    await sleep(50);
    assert.deepEqual(c.messages().map((m) => m.data), [1]);
    c.close();
  });

  it('answers an application ping with pong', async () => {
    const c = await TestClient.connect(server.wsUrl);
    c.send({ type: 'ping', id: 7 });
    assert.deepEqual(await c.waitFor((f) => f.type === 'pong'), { type: 'pong', id: 7 });
    c.close();
  });
});

describe('recovery', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ namespaces: { default: { history_size: 100 }, short: { history_size: 3 }, none: { history_size: 0 } } });
  });
  after(() => server.close());

  it('delivers exactly the messages missed while disconnected, once, in order, then live', async () => {
    const first = await TestClient.connect(server.wsUrl);
    const pos = await first.subscribe('rec');
    for (let i = 1; i <= 5; i++) await publish(server, 'rec', i);
    const seen = await first.waitForMessages(5);
    first.close();
    const last = seen.at(-1)!;
    for (let i = 6; i <= 12; i++) await publish(server, 'rec', i); // missed while away
    const again = await TestClient.connect(server.wsUrl);
    const result = await again.subscribe('rec', { offset: last.offset, epoch: last.epoch });
    assert.deepEqual(result, { offset: pos.offset + 12, epoch: pos.epoch, recovered: true });
    await publish(server, 'rec', 13);
    const got = await again.waitForMessages(8);
    await sleep(50);
    assert.deepEqual(again.messages().map((m) => m.data), [6, 7, 8, 9, 10, 11, 12, 13]);
    assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 8 }, (_, i) => last.offset + 1 + i));
    again.close();
  });

  it('has no gap and no duplicate when publishes race the subscribe', async () => {
    const c = await TestClient.connect(server.wsUrl);
    const start = await c.subscribe('race');
    c.close();
    const total = 300;
    // Publish continuously while a second client resubscribes from the start position.
    const publishing = (async () => {
      for (let i = 1; i <= total; i++) await publish(server, 'race', i);
    })();
    await sleep(5);
    const r = await TestClient.connect(server.wsUrl);
    const result = await r.subscribe('race', start);
    assert.equal(result.recovered, true);
    await publishing;
    const got = await r.waitForMessages(total);
    await sleep(50);
    assert.deepEqual(r.messages().map((m) => m.data), Array.from({ length: total }, (_, i) => i + 1));
    assert.deepEqual(r.messages().map((m) => m.offset), Array.from({ length: total }, (_, i) => start.offset + 1 + i));
    assert.equal(got.length, total);
    r.close();
  });

  it('many concurrent subscribers resubscribing during a publish stream each see every message once', async () => {
    const start = await (async () => {
      const c = await TestClient.connect(server.wsUrl);
      const p = await c.subscribe('race2');
      c.close();
      return p;
    })();
    const total = 60;
    const publishing = (async () => {
      for (let i = 1; i <= total; i++) {
        await publish(server, 'race2', i);
        if (i % 10 === 0) await sleep(1);
      }
    })();
    const clients = await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        await sleep(k * 3);
        const c = await TestClient.connect(server.wsUrl);
        assert.equal((await c.subscribe('race2', start)).recovered, true);
        return c;
      }),
    );
    await publishing;
    for (const c of clients) {
      await c.waitForMessages(total);
      await sleep(20);
      assert.deepEqual(c.messages().map((m) => m.data), Array.from({ length: total }, (_, i) => i + 1));
      c.close();
    }
  });

  it('recovers a history larger than the send buffer without being cut as a slow consumer', async () => {
    // ~6 MB of history: more than loopback's kernel buffers hold, so the replay really queues.
    const small = await startServer({ limits: { send_buffer_bytes: 65_536 }, namespaces: { default: { history_size: 100 } } });
    try {
      const c = await TestClient.connect(small.wsUrl);
      const pos = await c.subscribe('big');
      c.close();
      const payload = 'y'.repeat(60_000);
      for (let i = 1; i <= 100; i++) await publish(small, 'big', { i, payload });
      const again = await TestClient.connect(small.wsUrl);
      assert.equal((await again.subscribe('big', pos)).recovered, true);
      const got = await again.waitForMessages(100, undefined, 20_000);
      assert.deepEqual(got.map((m) => (m.data as { i: number }).i), Array.from({ length: 100 }, (_, i) => i + 1));
      await publish(small, 'big', { i: 101, payload });
      await again.waitForMessages(101);
      assert.equal(again.ws.readyState, again.ws.OPEN);
      again.close();
    } finally {
      await small.close();
    }
  });

  it('says recovered:false with epoch_changed for another epoch', async () => {
    const c = await TestClient.connect(server.wsUrl);
    await publish(server, 'epoch', 1);
    const result = await c.subscribe('epoch', { offset: 1, epoch: 'not-the-epoch' });
    assert.equal(result.recovered, false);
    assert.equal(result.reason, 'epoch_changed');
    assert.equal(result.offset, 1);
    await publish(server, 'epoch', 2);
    const [m] = await c.waitForMessages(1);
    assert.equal(m!.data, 2, 'the live stream continues after a failed recovery');
    await sleep(30);
    assert.equal(c.messages().length, 1, 'nothing from history is replayed when recovery failed');
    c.close();
  });

  it('says recovered:false with history_truncated when more was missed than history holds', async () => {
    const c = await TestClient.connect(server.wsUrl);
    const pos = await c.subscribe('short:x');
    c.close();
    for (let i = 1; i <= 5; i++) await publish(server, 'short:x', i);
    const again = await TestClient.connect(server.wsUrl);
    const result = await again.subscribe('short:x', pos);
    assert.deepEqual(result, { offset: pos.offset + 5, epoch: pos.epoch, recovered: false, reason: 'history_truncated' });
    // Exactly at the edge of history (3 missed, 3 kept) recovery still works.
    const edge = await TestClient.connect(server.wsUrl);
    const edgeResult = await edge.subscribe('short:x', { offset: pos.offset + 2, epoch: pos.epoch });
    assert.equal(edgeResult.recovered, true);
    assert.deepEqual((await edge.waitForMessages(3)).map((m) => m.data), [3, 4, 5]);
    again.close();
    edge.close();
  });

  it('a namespace without history recovers only when nothing was missed', async () => {
    const c = await TestClient.connect(server.wsUrl);
    const pos = await c.subscribe('none:x');
    const same = await TestClient.connect(server.wsUrl);
    assert.equal((await same.subscribe('none:x', pos)).recovered, true);
    await publish(server, 'none:x', 1);
    const late = await TestClient.connect(server.wsUrl);
    assert.equal((await late.subscribe('none:x', pos)).recovered, false);
    for (const x of [c, same, late]) x.close();
  });

  it('serves the same history over HTTP', async () => {
    for (let i = 1; i <= 4; i++) await publish(server, 'hist', i, 'e');
    const all = await api(server, '/api/channels/hist/history');
    assert.equal(all.status, 200);
    const pubs = all.json.publications as Array<{ offset: number; data: number; event: string }>;
    assert.deepEqual(pubs.map((p) => p.data), [1, 2, 3, 4]);
    assert.equal(pubs[0]!.event, 'e');
    const epoch = all.json.epoch as string;
    const since = await api(server, `/api/channels/hist/history?since=${pubs[1]!.offset}&epoch=${epoch}&limit=1`);
    assert.equal(since.json.recovered, true);
    assert.deepEqual((since.json.publications as Array<{ data: number }>).map((p) => p.data), [3]);
    const latest = await api(server, '/api/channels/hist/history?limit=2');
    assert.deepEqual((latest.json.publications as Array<{ data: number }>).map((p) => p.data), [3, 4]);
    const wrong = await api(server, `/api/channels/hist/history?since=1&epoch=nope`);
    assert.equal(wrong.json.recovered, false);
    assert.equal(wrong.json.reason, 'epoch_changed');
  });
});

describe('slow consumers', () => {
  it('cuts off a reader that stopped reading while 100 fast ones receive every message', async () => {
    const server = await startServer({ limits: { send_buffer_bytes: 64 * 1024, max_body_bytes: 1 << 20 } });
    try {
      const fast = await Promise.all(Array.from({ length: 100 }, () => TestClient.connect(server.wsUrl)));
      await Promise.all(fast.map((c) => c.subscribe('firehose')));
      const slow = await TestClient.connect(server.wsUrl);
      await slow.subscribe('firehose');
      // Stop reading: the kernel buffers fill, then Herald's send buffer.
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const payload = 'x'.repeat(4096);
      let sent = 0;
      let slowGone = false;
      void slow.closed.then(() => (slowGone = true));
      // Publish until the server has cut the slow reader (bounded: at most ~40 MiB).
      while (sent < 10_000 && server.herald.hub.subscriberCount('firehose') > 100) {
        const batch = [];
        for (let i = 0; i < 20; i++) batch.push(publish(server, 'firehose', { i: sent++, payload }));
        await Promise.all(batch);
        await sleep(1);
      }
      assert.equal(server.herald.hub.subscriberCount('firehose'), 100, 'the slow reader was dropped from the channel');
      for (let i = 0; i < 20; i++) await publish(server, 'firehose', { i: sent++, payload });
      await Promise.all(fast.map((c) => c.waitForMessages(sent, 'firehose', 20_000)));
      for (const c of fast) {
        assert.deepEqual(c.messages().map((m) => (m.data as { i: number }).i), Array.from({ length: sent }, (_, i) => i));
      }
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code } = await slow.closed;
      assert.equal(slowGone, true);
      assert.equal(code, CloseCode.SlowConsumer);
      assert.ok(slow.messages().length < sent, 'the slow reader did not get everything');
      for (const c of fast) c.close();
    } finally {
      await server.close();
    }
  });
});

describe('heartbeat', () => {
  it('drops a peer that stops answering pings, keeps one that answers', async () => {
    const server = await startServer({ heartbeat: { interval_seconds: 0.1 } });
    try {
      const healthy = await TestClient.connect(server.wsUrl);
      const dead = await TestClient.connect(server.wsUrl);
      // A peer that vanished without a FIN: it no longer answers pings (ws auto-pong is off).
      (dead.ws as unknown as { _receiver: { removeAllListeners(e: string): void } })._receiver.removeAllListeners('ping');
      (dead.ws as unknown as { pong(): void }).pong = () => {};
      const start = Date.now();
      await dead.closed;
      assert.ok(Date.now() - start < 2000);
      await sleep(300);
      assert.equal(healthy.ws.readyState, healthy.ws.OPEN, 'a peer that answers pings stays');
      healthy.close();
    } finally {
      await server.close();
    }
  });
});

describe('connection limit', () => {
  it('closes connections above limits.max_connections with 1013 and keeps serving the others', async () => {
    const server = await startServer({ limits: { max_connections: 2 } });
    try {
      const a = await TestClient.connect(server.wsUrl);
      const b = await TestClient.connect(server.wsUrl);
      const { WebSocket } = await import('ws');
      const extra = new WebSocket(server.wsUrl);
      const code = await new Promise<number>((resolve) => extra.on('close', (c) => resolve(c)));
      assert.equal(code, CloseCode.TryAgainLater);
      await a.subscribe('still');
      await publish(server, 'still', 1);
      await a.waitForMessages(1);
      b.close();
      await b.closed;
      await sleep(20);
      const c = await TestClient.connect(server.wsUrl);
      await c.subscribe('still');
      a.close();
      c.close();
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('closes clients with 1012 (service restart) and refuses new publishes', async () => {
    const server = await startServer();
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('bye');
    const closing = server.close();
    const { code } = await c.closed;
    assert.equal(code, CloseCode.ServiceRestart);
    await closing;
    await assert.rejects(fetch(server.url + '/healthz'));
  });

  it('while clients are still closing: not ready, publishes get 503 shutting_down, new sockets get 1012', async () => {
    const server = await startServer({ server: { shutdown_timeout_seconds: 1 } });
    const stubborn = await TestClient.connect(server.wsUrl);
    // Never answer the close frame, so the node stays in its closing phase until the timeout.
    (stubborn.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const closing = server.close();
    await sleep(50);
    const ready = await fetch(server.url + '/readyz');
    assert.equal(ready.status, 503);
    const res = await publish(server, 'late', 1);
    assert.equal(res.status, 503);
    assert.equal(res.json.error?.code, 'shutting_down');
    const { WebSocket } = await import('ws');
    const late = new WebSocket(server.wsUrl);
    assert.equal(await new Promise<number>((resolve) => late.on('close', (c) => resolve(c))), CloseCode.ServiceRestart);
    await closing;
  });
});
