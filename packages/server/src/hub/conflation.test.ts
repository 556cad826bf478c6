import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { MessageFrame } from '@herald/protocol';
import type { HistoryOptions, HistoryQuery, HistoryResult } from '../broker/broker.js';
import { MemoryBroker } from '../broker/memory.js';
import { trustedRawJson } from '../json/raw.js';
import { api, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';

const KEYS = ['price:AAPL', 'price:MSFT', 'price:GOOG'];
const HISTORY = { size: 100, ttlMs: 60_000 };

/** Each frame's offset jump equals the `skipped` it declares: offsets stay honest. */
function assertHonest(messages: MessageFrame[]): void {
  for (let i = 1; i < messages.length; i++) {
    const gap = messages[i]!.offset - messages[i - 1]!.offset - 1;
    assert.equal(messages[i]!.skipped ?? 0, gap, `offset ${messages[i]!.offset} after ${messages[i - 1]!.offset}`);
  }
}

/** The last message per key. */
function latest(messages: MessageFrame[]): Map<string, unknown> {
  return new Map(messages.map((m) => [m.key!, m.data]));
}

/** A raw SSE stream (HTTP/1.0, so no chunked framing) whose socket the test can stop reading. */
function sseStream(url: string, channel: string): { socket: Socket; text: () => string; ended: Promise<void> } {
  const { hostname, port } = new URL(url);
  let body = '';
  const socket = connect(Number(port), hostname, () => socket.write(`GET /sse?channel=${encodeURIComponent(channel)} HTTP/1.0\r\nHost: ${hostname}\r\n\r\n`));
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (body += chunk));
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, text: () => body, ended };
}

/** The message frames of an SSE body. */
function sseMessages(body: string): MessageFrame[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: {"type":"message"'))
    .map((line) => JSON.parse(line.slice(6)) as MessageFrame);
}

describe('conflation by key', () => {
  const broker = new MemoryBroker();
  let server: TestServer;
  before(async () => {
    server = await startServer(
      { limits: { send_buffer_bytes: 256 * 1024 }, namespaces: { ticks: { conflation: true, history_size: 100 }, plain: { history_size: 100 } } },
      { broker },
    );
  });
  after(async () => {
    await server.close();
    await broker.close();
  });

  it('a paused reader in a conflating namespace gets the latest value per key on resume and stays connected; one in a normal namespace is cut with 4008', async () => {
    const id = randomBytes(6).toString('hex');
    const ticks = `ticks:${id}`;
    const plain = `plain:${id}`;
    const fast = await TestClient.connect(server.wsUrl);
    const slow = await TestClient.connect(server.wsUrl);
    const cut = await TestClient.connect(server.wsUrl);
    await fast.subscribe(ticks);
    await slow.subscribe(ticks);
    await cut.subscribe(plain);
    // Neither reads from here on: the kernel's buffers fill, then the server's.
    slow.ws.pause();
    cut.ws.pause();
    const filler = 'x'.repeat(16 * 1024);
    const counters = server.herald.hub.counters;
    const closesBefore = counters.slowConsumerCloses;
    const last = new Map<string, unknown>();
    let n = 0;
    // Until the normal-namespace reader is cut, and then some more (bounded: ~48 MB at most).
    for (let extra = 0; n < 3000 && extra < 60; n++) {
      if (counters.slowConsumerCloses > closesBefore) extra++;
      const key = KEYS[n % KEYS.length]!;
      const value = { n, key, filler };
      last.set(key, value);
      const data = trustedRawJson(JSON.stringify(value));
      await broker.publish(ticks, { data, key }, HISTORY);
      await broker.publish(plain, { data, key }, HISTORY);
      if (n % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(counters.slowConsumerCloses > closesBefore, `the normal-namespace reader was cut after ${n} publications`);
    await fast.waitForMessages(n, ticks, 20_000);
    slow.ws.resume();
    cut.ws.resume();
    assert.equal((await cut.closed).code, 4008);
    // The conflating reader ends with every key's latest value, having skipped the superseded ones.
    const caughtUp = () => {
      const got = latest(slow.messages(ticks));
      return KEYS.every((k) => JSON.stringify(got.get(k)) === JSON.stringify(last.get(k)));
    };
    await waitUntil(caughtUp, 20_000, () => 'the latest value of every key');
    const got = slow.messages(ticks);
    assert.ok(got.length < n, `conflated: ${got.length} messages for ${n} publications`);
    assert.ok(got.some((m) => (m.skipped ?? 0) > 0));
    assert.ok(counters.conflated > 0, 'counted in herald_messages_conflated_total');
    assertHonest(got);
    assert.deepEqual(fast.messages(ticks).map((m) => m.skipped), new Array<undefined>(n).fill(undefined), 'a reader that keeps up skips nothing');
    // Still connected, and live again.
    await broker.publish(ticks, { data: trustedRawJson('{"after":true}'), key: 'price:AAPL' }, HISTORY);
    await slow.waitFor((f) => f.type === 'message' && (f.data as { after?: boolean }).after === true, 5000);
    assert.equal(slow.ws.readyState, slow.ws.OPEN);
    fast.close();
    slow.close();
  });

  it('a recovering subscriber of a conflating namespace is replayed only the latest publication per key', async () => {
    const ch = `ticks:${randomBytes(6).toString('hex')}`;
    const client = await TestClient.connect(server.wsUrl);
    const start = await client.subscribe(ch);
    client.close();
    // a1 b2 a3 (no key) b5 a6: owed b5, the unkeyed 4, a6.
    const pubs: Array<[string | undefined, number]> = [['a', 1], ['b', 2], ['a', 3], [undefined, 4], ['b', 5], ['a', 6]];
    for (const [key, value] of pubs) await broker.publish(ch, key === undefined ? { data: trustedRawJson(String(value)) } : { data: trustedRawJson(String(value)), key }, HISTORY);
    const back = await TestClient.connect(server.wsUrl);
    const result = await back.subscribe(ch, { offset: start.offset, epoch: start.epoch });
    assert.equal(result.recovered, true);
    const got = await back.waitForMessages(3, ch);
    assert.deepEqual(got.map((m) => [m.offset, m.key, m.data, m.skipped]), [
      [4, undefined, 4, 3],
      [5, 'b', 5, undefined],
      [6, 'a', 6, undefined],
    ]);
    // History keeps every publication, with its key.
    const history = await api(server, `/api/channels/${encodeURIComponent(ch)}/history`);
    assert.deepEqual((history.json.publications as Array<{ key?: string }>).map((p) => p.key), ['a', 'b', 'a', undefined, 'b', 'a']);
    back.close();
  });

  it('a subscriber that gets more than 10 000 publications while its history is read keeps the latest per key instead of being cut', async () => {
    /** The real memory engine, whose history answers arrive only when the test opens the gate. */
    class GatedHistory extends MemoryBroker {
      gate: Promise<void> = Promise.resolve();
      override async history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult> {
        const result = await super.history(channel, query, history);
        await this.gate;
        return result;
      }
    }
    const gated = new GatedHistory();
    const node = await startServer({ namespaces: { ticks: { conflation: true, history_size: 100 } } }, { broker: gated });
    try {
      let open!: () => void;
      gated.gate = new Promise((resolve) => (open = resolve));
      const ch = `ticks:${randomBytes(6).toString('hex')}`;
      const client = await TestClient.connect(node.wsUrl);
      const reply = client.request({ type: 'subscribe', channel: ch });
      await waitUntil(() => node.herald.hub.subscriberCount(ch) === 1, 5000, () => 'the subscription registered');
      const last = new Map<string, number>();
      for (let n = 1; n <= 12_000; n++) {
        const key = KEYS[n % KEYS.length]!;
        last.set(key, n);
        await gated.publish(ch, { data: trustedRawJson(String(n)), key }, HISTORY);
        if (n % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      open();
      assert.ok('ok' in (await reply));
      await client.waitFor((f) => f.type === 'message' && f.offset === 12_000, 10_000);
      const got = client.messages(ch);
      assert.ok(got[0]!.offset > 10_000 - KEYS.length && got[0]!.skipped === got[0]!.offset - 1, JSON.stringify(got[0]));
      assertHonest(got);
      assert.deepEqual(latest(got), last);
      assert.equal(client.ws.readyState, client.ws.OPEN);
      assert.ok(node.herald.hub.counters.conflated >= 9_000);
      client.close();
    } finally {
      await node.close();
      await gated.close();
    }
  });

  it('holds the latest per key for a paused SSE stream too, while a normal-namespace stream ends with slow_consumer', async () => {
    const id = randomBytes(6).toString('hex');
    const ticks = `ticks:${id}`;
    const plain = `plain:${id}`;
    const slow = sseStream(server.url, ticks);
    const cut = sseStream(server.url, plain);
    await waitUntil(() => slow.text().includes('event: subscribed') && cut.text().includes('event: subscribed'), 5000, () => 'both streams subscribed');
    slow.socket.pause();
    cut.socket.pause();
    const counters = server.herald.hub.counters;
    const closesBefore = counters.slowConsumerCloses;
    const filler = 'x'.repeat(16 * 1024);
    const last = new Map<string, unknown>();
    let n = 0;
    for (let extra = 0; n < 3000 && extra < 60; n++) {
      if (counters.slowConsumerCloses > closesBefore) extra++;
      const key = KEYS[n % KEYS.length]!;
      const value = { n, key, filler };
      last.set(key, value);
      const data = trustedRawJson(JSON.stringify(value));
      await broker.publish(ticks, { data, key }, HISTORY);
      await broker.publish(plain, { data, key }, HISTORY);
      if (n % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(counters.slowConsumerCloses > closesBefore, `the normal-namespace stream was cut after ${n} publications`);
    slow.socket.resume();
    cut.socket.resume();
    await cut.ended;
    assert.match(cut.text(), /event: error\ndata: \{"type":"error","error":\{"code":"slow_consumer"/);
    const caughtUp = () => {
      const got = latest(sseMessages(slow.text()));
      return KEYS.every((k) => JSON.stringify(got.get(k)) === JSON.stringify(last.get(k)));
    };
    await waitUntil(caughtUp, 20_000, () => 'the latest value of every key on SSE');
    const got = sseMessages(slow.text());
    assert.ok(got.length < n && got.some((m) => (m.skipped ?? 0) > 0), `conflated: ${got.length} messages for ${n} publications`);
    assertHonest(got);
    assert.ok(!slow.socket.destroyed, 'the conflating stream is still open');
    slow.socket.destroy();
  });
});
