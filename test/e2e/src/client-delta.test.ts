/**
 * The client SDK with delta compression against real Herald servers: through restarts and
 * recovery, after a corrupted base (it must notice and resubscribe), and over SSE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, type Message, type WebSocketConstructor, type WebSocketLike } from '@herald/client';
import { Publisher } from '@herald/publisher';
import { MemoryBroker, toRawJson } from '@herald/server';
import { API_KEY, sleep, startServer, waitUntil, type TestServer } from '@herald/server/testing';
import { WebSocket } from 'ws';

const fast = { initialMs: 20, maxMs: 300, factor: 2 };

/** A ~2 KB document; version `v` changes one price, the version and the time. */
function doc(v: number): Record<string, unknown> {
  const items = Array.from({ length: 24 }, (_, i) => ({ id: `item-${i}`, name: `Product ${i} ünïcode`, price: i === v % 24 ? 100 + v : 100 + i, stock: i * 3 }));
  return { version: v, updated: `2026-12-01T00:00:${String(v % 60).padStart(2, '0')}Z`, items };
}

/**
 * The `ws` package's WebSocket as the SDK sees it, recording every frame both ways; `tamper` may
 * rewrite an incoming frame before the SDK gets it (a corrupted base).
 */
function tapped(received: string[], sent: string[], tamper?: (text: string) => string): WebSocketConstructor {
  return class implements WebSocketLike {
    readonly #ws: WebSocket;
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    constructor(url: string) {
      this.#ws = new WebSocket(url);
      this.#ws.on('message', (data) => {
        const text = data.toString();
        received.push(text);
        this.onmessage?.({ data: tamper ? tamper(text) : text });
      });
      this.#ws.on('open', () => this.onopen?.({}));
      this.#ws.on('error', (err) => this.onerror?.(err));
      this.#ws.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
    }
    get readyState(): number {
      return this.#ws.readyState;
    }
    send(data: string): void {
      sent.push(data);
      this.#ws.send(data);
    }
    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  };
}

const messagesOf = (frames: string[]) => frames.filter((f) => f.startsWith('{"type":"message"')).map((f) => JSON.parse(f) as { offset: number; delta?: true });

describe('client SDK with delta compression', () => {
  it('rebuilds every document through two restarts with recovery: full messages after each, deltas in between', async () => {
    const broker = new MemoryBroker();
    const config = { namespaces: { doc: { history_size: 100 } } };
    let server: TestServer = await startServer(config, { broker });
    const port = Number(new URL(server.url).port);
    const received: string[] = [];
    const sent: string[] = [];
    // WebSocket only: failed reconnects while the node is down must not move it to SSE, whose frames the tap cannot see.
    const client = connect(server.wsUrl, { WebSocket: tapped(received, sent), backoff: fast, transports: ['websocket'] });
    const got: Message[] = [];
    const failures: string[] = [];
    const sub = client.subscribe('doc:live', (m) => got.push(m), { delta: true });
    sub.on('delta-failed', (e) => failures.push(e.reason));
    sub.on('recovery-failed', (e) => failures.push(e.reason));
    await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
    const publisher = new Publisher({ url: server.url, apiKey: API_KEY, retries: 50, minDelayMs: 20, maxDelayMs: 200 });
    const marks: number[] = [];
    let v = 0;
    try {
      for (const restartAfter of [8, 16, 24]) {
        while (v < restartAfter) {
          await publisher.publish('doc:live', doc(++v));
          await sleep(5);
        }
        if (restartAfter === 24) break;
        await waitUntil(() => got.length === v, 5000, () => `message ${v}`);
        marks.push(received.length);
        await server.close();
        // Published while no node serves the client: it must recover these two from history.
        for (let i = 0; i < 2; i++) await broker.publish('doc:live', { data: toRawJson(doc(++v)) }, { size: 100, ttlMs: 60_000 });
        server = await startServer({ ...config, server: { port } }, { broker });
        await waitUntil(() => got.length === v, 10_000, () => `recovered up to ${v}`);
      }
      await waitUntil(() => got.length >= 24, 15_000, () => `24 messages (have ${got.length})`);
      assert.deepEqual(failures, []);
      assert.deepEqual(got.map((m) => m.data), Array.from({ length: 24 }, (_, i) => doc(i + 1)));
      assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 24 }, (_, i) => i + 1));
      const subscribes = sent.map((s) => JSON.parse(s) as { type: string; delta?: string; since?: unknown }).filter((f) => f.type === 'subscribe');
      assert.equal(subscribes.length, 3);
      assert.ok(subscribes.every((f) => f.delta === 'fossil'));
      assert.ok(subscribes.slice(1).every((f) => f.since !== undefined), 'it resubscribed with its position');
      // Per connection: the first message whole (recovered ones too), then deltas.
      for (const [from, to] of [[0, marks[0]], [marks[0], marks[1]], [marks[1], received.length]] as const) {
        const frames = messagesOf(received.slice(from, to));
        assert.equal(frames[0]?.delta, undefined, 'a connection starts with a full message');
        assert.ok(frames.slice(1).some((f) => f.delta === true), `deltas follow on each connection: ${JSON.stringify(frames.map((f) => f.delta === true))}`);
      }
      for (const [mark, first] of [[marks[0]!, 9], [marks[1]!, 17]] as const) {
        const recovered = messagesOf(received.slice(mark)).slice(0, 2);
        assert.deepEqual(recovered.map((f) => [f.offset, f.delta === true]), [[first, false], [first + 1, false]], 'recovered from history, whole');
      }
    } finally {
      client.close();
      await server.close();
      await broker.close();
    }
  });

  it('notices a corrupted base by its checksum and resubscribes from its last position; what follows is exact', async () => {
    const server = await startServer({ namespaces: { doc: { history_size: 100 } } });
    const received: string[] = [];
    const sent: string[] = [];
    let tampered = false;
    // The first full message reaches the SDK with one character changed that the next delta copies.
    const tamper = (text: string) => {
      if (tampered || !text.startsWith('{"type":"message"')) return text;
      tampered = true;
      return text.replace('Product 5 ', 'Product X ');
    };
    const client = connect(server.wsUrl, { WebSocket: tapped(received, sent, tamper), backoff: fast });
    const got: Message[] = [];
    const failed: Array<{ reason: string; position?: { offset: number } }> = [];
    const sub = client.subscribe('doc:corrupt', (m) => got.push(m), { delta: true });
    sub.on('delta-failed', (e) => failed.push(e));
    try {
      await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
      const publisher = new Publisher({ url: server.url, apiKey: API_KEY });
      for (let v = 1; v <= 6; v++) await publisher.publish('doc:corrupt', doc(v));
      await waitUntil(() => got.length >= 6, 10_000, () => `6 messages (have ${got.length})`);
      assert.equal(failed.length, 1, JSON.stringify(failed));
      assert.match(failed[0]!.reason, /checksum/);
      assert.equal(failed[0]!.position?.offset, 1, 'it resumes after the last message it accepted');
      assert.deepEqual(got.map((m) => m.offset), [1, 2, 3, 4, 5, 6]);
      assert.notDeepEqual(got[0]!.data, doc(1), 'the corrupted message itself could not be told apart');
      assert.deepEqual(got.slice(1).map((m) => m.data), [2, 3, 4, 5, 6].map(doc));
      const subscribes = sent.map((s) => JSON.parse(s) as { type: string; since?: { offset: number } }).filter((f) => f.type === 'subscribe');
      assert.deepEqual(subscribes.map((f) => f.since?.offset), [undefined, 1]);
      assert.ok(sent.some((s) => (JSON.parse(s) as { type: string }).type === 'unsubscribe'), 'the old subscription was dropped first');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('rebuilds every document over SSE, across a dropped stream', async () => {
    const broker = new MemoryBroker();
    const config = { namespaces: { doc: { history_size: 100 } } };
    let server: TestServer = await startServer(config, { broker });
    const port = Number(new URL(server.url).port);
    const client = connect(server.wsUrl, { transports: ['sse'], backoff: fast });
    const got: Message[] = [];
    const failures: string[] = [];
    const sub = client.subscribe('doc:sse', (m) => got.push(m), { delta: true });
    sub.on('delta-failed', (e) => failures.push(e.reason));
    try {
      await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
      const publisher = new Publisher({ url: server.url, apiKey: API_KEY, retries: 50, minDelayMs: 20, maxDelayMs: 200 });
      for (let v = 1; v <= 12; v++) {
        await publisher.publish('doc:sse', doc(v));
        if (v === 6) {
          await waitUntil(() => got.length === 6, 5000, () => 'message 6');
          await server.close();
          server = await startServer({ ...config, server: { port } }, { broker });
        }
      }
      await waitUntil(() => got.length >= 12, 15_000, () => `12 messages (have ${got.length})`);
      assert.deepEqual(failures, []);
      assert.deepEqual(got.map((m) => m.data), Array.from({ length: 12 }, (_, i) => doc(i + 1)));
    } finally {
      client.close();
      await server.close();
      await broker.close();
    }
  });
});
