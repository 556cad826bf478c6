import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { MessageFrame } from '@herald/protocol';
import { applyDelta } from 'fossil-delta';
import { api, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';

/** A ~2 KB document; version `v` changes one price and one counter, as a live dashboard would. */
export function doc(v: number): Record<string, unknown> {
  const items = Array.from({ length: 24 }, (_, i) => ({ id: `item-${i}`, name: `Product ${i} ünïcode`, price: i === v % 24 ? 100 + v : 100 + i, stock: i * 3 }));
  return { version: v, updated: `2026-12-01T00:00:${String(v % 60).padStart(2, '0')}Z`, items };
}

/** What `fossil-delta` makes of a delta frame's data (a string of bytes) against `base`. */
function apply(base: string, delta: string): string {
  return Buffer.from(applyDelta(Buffer.from(base), Buffer.from(delta, 'latin1'))).toString('utf8');
}

/** Each message's data text rebuilt the way a client does: full text kept, deltas applied to it. */
function rebuild(texts: string[]): { data: string[]; deltas: number } {
  let base = '';
  let deltas = 0;
  const data = texts.map((text) => {
    const frame = JSON.parse(text) as MessageFrame;
    if (frame.delta) {
      deltas++;
      base = apply(base, frame.data as string);
    } else base = text.slice(text.indexOf(',"data":') + 8, -1);
    return base;
  });
  return { data, deltas };
}

describe('delta compression', () => {
  let server: TestServer;
  before(async () => {
    // History off: deltas are made against the last publication this node fanned out, not history.
    server = await startServer({ namespaces: { doc: { history_size: 0 } } });
  });
  after(() => server.close());

  const channel = () => `doc:${randomBytes(6).toString('hex')}`;

  it('sends a subscriber that asked for it a full first message, then deltas that rebuild each document exactly, without history', async () => {
    const ch = channel();
    const delta = await TestClient.connect(server.wsUrl);
    const plain = await TestClient.connect(server.wsUrl);
    const texts: string[] = [];
    const plainBytes: number[] = [];
    delta.ws.on('message', (d) => texts.push(d.toString()));
    plain.ws.on('message', (d) => plainBytes.push(d.toString().length));
    const reply = await delta.request({ type: 'subscribe', channel: ch, delta: 'fossil' });
    assert.deepEqual((reply as { result?: { delta?: string } }).result?.delta, 'fossil');
    await plain.subscribe(ch);
    for (let v = 0; v < 6; v++) assert.equal((await api(server, '/api/publish', { body: { channel: ch, data: doc(v) } })).status, 200);
    await delta.waitForMessages(6, ch);
    await plain.waitForMessages(6, ch);
    const frames = texts.filter((t) => t.startsWith('{"type":"message"'));
    const { data, deltas } = rebuild(frames);
    assert.deepEqual(data, Array.from({ length: 6 }, (_, v) => JSON.stringify(doc(v))));
    assert.equal(deltas, 5, 'every message after the first is a delta');
    assert.ok(plain.messages(ch).every((m) => m.delta === undefined), 'a subscriber that did not ask gets full messages');
    assert.ok(server.herald.hub.counters.deltas >= 5, 'counted in herald_messages_delta_total');
    const deltaBytes = frames.slice(1).reduce((n, t) => n + Buffer.byteLength(t), 0);
    const fullBytes = frames.slice(1).reduce((n, _t, i) => n + Buffer.byteLength(JSON.stringify(doc(i + 1))), 0);
    assert.ok(deltaBytes < fullBytes / 5, `deltas ${deltaBytes} B against ${fullBytes} B of data`);
    delta.close();
    plain.close();
  });

  it('sends the full payload when a delta would not be smaller, and to a subscriber that missed the base', async () => {
    const ch = channel();
    const client = await TestClient.connect(server.wsUrl);
    await client.request({ type: 'subscribe', channel: ch, delta: 'fossil' });
    await api(server, '/api/publish', { body: { channel: ch, data: doc(1) } });
    // Nothing in common with the previous document: a delta would carry it all, and more.
    await api(server, '/api/publish', { body: { channel: ch, data: randomBytes(64).toString('hex') } });
    await api(server, '/api/publish', { body: { channel: ch, data: doc(2) } });
    const messages = await client.waitForMessages(3, ch);
    assert.deepEqual(messages.map((m) => m.delta === true), [false, false, false]);
    // A second subscriber arriving now gets its first message whole, then deltas.
    const late = await TestClient.connect(server.wsUrl);
    await late.request({ type: 'subscribe', channel: ch, delta: 'fossil' });
    await api(server, '/api/publish', { body: { channel: ch, data: doc(3) } });
    await api(server, '/api/publish', { body: { channel: ch, data: doc(4) } });
    const got = await late.waitForMessages(2, ch);
    assert.deepEqual(got.map((m) => m.delta === true), [false, true]);
    assert.deepEqual((await client.waitForMessages(5, ch)).slice(3).map((m) => m.delta === true), [true, true]);
    client.close();
    late.close();
  });

  it('refuses an unknown delta format with a clear error', async () => {
    const client = await TestClient.connect(server.wsUrl);
    const reply = await client.request({ type: 'subscribe', channel: channel(), delta: 'xdelta' });
    assert.ok('error' in reply && reply.error.code === 'bad_request' && /fossil/.test(reply.error.message), JSON.stringify(reply));
    client.close();
  });

  it('sends deltas on SSE to a stream that names the channel in `delta`', async () => {
    const ch = channel();
    const controller = new AbortController();
    const res = await fetch(`${server.url}/sse?channel=${encodeURIComponent(ch)}&delta=${encodeURIComponent(ch)}`, { signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let body = '';
    const lines = () => body.split('\n').filter((l) => l.startsWith('data: {"type":"message"')).map((l) => l.slice(6));
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        body += value;
      }
    })().catch(() => {});
    await waitUntil(() => body.includes('event: subscribed'), 5000, () => 'the subscribed event');
    for (let v = 0; v < 4; v++) await api(server, '/api/publish', { body: { channel: ch, data: doc(v) } });
    await waitUntil(() => lines().length === 4, 5000, () => `4 messages, have ${body}`);
    const { data, deltas } = rebuild(lines());
    assert.deepEqual(data, Array.from({ length: 4 }, (_, v) => JSON.stringify(doc(v))));
    assert.equal(deltas, 3);
    controller.abort();
    await read;
  });
});
