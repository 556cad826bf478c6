/**
 * SSE on the wire, read byte for byte from a raw socket: Herald writes the stream itself (head,
 * chunk framing, one `id:` line per write; transports/sse.ts), so what a client parses is checked
 * here directly, chunk by chunk, rather than through a client library that would forgive.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { toRawJson } from '../json/raw.js';
import { encoder } from './sse.js';
import { publish, startServer, waitUntil, type TestServer } from '../test/helpers.js';

/** A raw HTTP exchange: every byte received, as latin1 text. */
class RawExchange {
  text = '';
  ended = false;
  readonly socket: Socket;
  constructor(server: TestServer, request: string) {
    this.socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => this.socket.write(request));
    this.socket.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    this.socket.on('close', () => (this.ended = true));
    this.socket.on('error', () => {});
  }

  get head(): string {
    return this.text.slice(0, this.text.indexOf('\r\n\r\n') + 2);
  }

  get body(): string {
    return this.text.slice(this.text.indexOf('\r\n\r\n') + 4);
  }

  until(check: () => boolean, what: string): Promise<true> {
    return waitUntil(() => check() || undefined, 5000, () => `${what}; got:\n${this.text}`);
  }
}

/** A chunked body split into its chunks' data; throws on broken framing. */
function chunks(body: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(body.slice(at, eol), 16);
    assert.ok(Number.isInteger(size), `chunk size at ${at}: ${JSON.stringify(body.slice(at, eol))}`);
    if (body.length < eol + 2 + size + 2) break; // not all here yet
    out.push(body.slice(eol + 2, eol + 2 + size));
    assert.equal(body.slice(eol + 2 + size, eol + 4 + size), '\r\n', 'each chunk ends with CRLF');
    at = eol + 4 + size;
  }
  return out;
}

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
/** A document whose versions differ in one field, so that each after the first goes as a delta. */
const doc = (v: number) => ({ version: v, items: Array.from({ length: 40 }, (_, i) => ({ id: i, price: i === v ? 100 + v : i })) });
const GET = (path: string, version = '1.1') => `GET ${path} HTTP/${version}\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`;

describe('SSE on the wire', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ sse: { heartbeat_seconds: 60, retry_ms: 100 } });
  });
  after(() => server.close());

  it('one id line per write, inside the write\'s last event; a message alone has its own', async () => {
    // A server of its own: the test ends by shutting it down.
    const own = await startServer({ sse: { heartbeat_seconds: 60, retry_ms: 100 } });
    const channel = unique('batch');
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await publish(own, channel, i)).json.epoch as string;
    // Recovery from offset 0: the subscribed event and the five messages are queued in one turn.
    const raw = new RawExchange(own, GET(`/sse?channel=${channel}&last_event_id=${encodeURIComponent(epoch)}:0`));
    await raw.until(() => chunks(raw.body).some((c) => c.includes('"offset":5')), 'the replayed messages');
    assert.match(raw.head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw.head, /\r\ntransfer-encoding: chunked\r\n/i);
    assert.match(raw.head, /\r\ncontent-type: text\/event-stream; charset=utf-8\r\n/i);
    const batch = chunks(raw.body).find((c) => c.includes('"offset":5'))!;
    assert.equal((batch.match(/"type":"message"/g) ?? []).length, 5, batch);
    assert.deepEqual(batch.match(/^id: .*$/gm), [`id: ${epoch}:5`], `one id for the whole write:\n${batch}`);
    // The id line belongs to the last event (no blank line before it), and the write ends that event.
    assert.match(batch, /\ndata: \{"type":"message"[^\n]*"offset":5[^\n]*\}\nid: [^\n]+\n\n$/, batch);
    assert.equal(batch.split('\n\n').filter((e) => e.includes('"type":"message"')).length, 5, 'five separate events');

    const live = await publish(own, channel, 6);
    await raw.until(() => chunks(raw.body).some((c) => c.includes('"offset":6')), 'the live message');
    const alone = chunks(raw.body).find((c) => c.includes('"offset":6'))!;
    assert.match(alone, new RegExp(`^data: \\{[^\\n]*\\}\\nid: ${live.json.epoch as string}:6\\n\\n$`), alone);

    // The server ends the stream: an error event for the restart, the last chunk, then the socket.
    const closing = own.close();
    await raw.until(() => raw.ended, 'the end of the connection');
    await closing;
    assert.ok(raw.body.endsWith('\r\n0\r\n\r\n'), `a complete chunked body: ${JSON.stringify(raw.body.slice(-60))}`);
    assert.match(chunks(raw.body).join(''), /event: error\ndata: \{"type":"error"/);
  });

  it('delta=: each delta event still ends its write with its own position as the id', async () => {
    const own = await startServer({ sse: { heartbeat_seconds: 60, retry_ms: 100 }, namespaces: { doc: { history_size: 0 } } });
    try {
      const channel = unique('doc:wire');
      const raw = new RawExchange(own, GET(`/sse?channel=${channel}&delta=${channel}`));
      await raw.until(() => raw.body.includes('event: subscribed'), 'the subscribed event');
      for (let v = 1; v <= 4; v++) {
        const { json } = await publish(own, channel, doc(v));
        await raw.until(() => chunks(raw.body).some((c) => c.includes(`"offset":${v},`)), `message ${v}`);
        const write = chunks(raw.body).find((c) => c.includes(`"offset":${v},`))!;
        assert.equal(write.includes('"delta":true'), v > 1, `message ${v} ${v > 1 ? 'is' : 'is not'} a delta:\n${write}`);
        assert.match(write, new RegExp(`\\}\\nid: ${json.epoch as string}:${v}\\n\\n$`), write);
      }
      raw.socket.destroy();
    } finally {
      await own.close();
    }
  });

  it('a conflated or delta message is still one complete event, its form in the data', () => {
    const p = { channel: 'feed', offset: 9, epoch: 'e', key: 'k', data: toRawJson({ v: 1 }) };
    const skipped = encoder.message(p, { skipped: 3 }).toString();
    assert.equal(skipped, 'data: {"type":"message","channel":"feed","offset":9,"epoch":"e","key":"k","skipped":3,"data":{"v":1}}\n\n');
    const delta = encoder.message(p, { delta: JSON.stringify('d') }).toString();
    assert.match(delta, /^data: \{[^\n]*"delta":true,"data":"d"\}\n\n$/);
  });

  it('HTTP/1.0: the body as is, until the connection ends', async () => {
    const channel = unique('http10');
    const raw = new RawExchange(server, GET(`/sse?channel=${channel}`, '1.0'));
    await raw.until(() => raw.body.includes('event: subscribed'), 'the subscribed event');
    assert.doesNotMatch(raw.head, /transfer-encoding/i);
    assert.match(raw.head, /\r\nconnection: close\r\n/i);
    assert.match(raw.body, /^retry: 100\n\n/);
    const { json } = await publish(server, channel, 'plain');
    await raw.until(() => raw.body.includes('"plain"'), 'the message');
    assert.match(raw.body, new RegExp(`\\ndata: \\{[^\\n]*"data":"plain"\\}\\nid: ${json.epoch as string}:1\\n\\n$`));
    assert.doesNotMatch(raw.body, /\r/, 'no chunk framing');
    raw.socket.destroy();
  });

  it('HEAD is answered without a stream', async () => {
    const channel = unique('head');
    const raw = new RawExchange(server, `HEAD /sse?channel=${channel} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    await raw.until(() => raw.ended, 'the end of the response');
    assert.match(raw.head, /^HTTP\/1\.1 200 /);
    assert.match(raw.head, /content-type: text\/event-stream/i);
    assert.equal(raw.body, '');
    assert.equal(server.herald.hub.subscriberCount(channel), 0, 'nothing subscribed');
  });
});
