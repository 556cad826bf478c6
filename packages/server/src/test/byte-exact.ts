/**
 * @module test/byte-exact
 * Checks that a publication's `data` reaches every transport as the publisher's own JSON text:
 * the raw WebSocket frame, SSE `data:` line, long-poll answer and history answer are read as text
 * (never parsed and re-serialised by the test), and must hold the exact tokens that were sent.
 */
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { API_KEY, waitUntil, type TestServer } from './helpers.js';

/** Values a parse and re-serialise would change, sent with insignificant whitespace… */
export const SENT_DATA = '{ "big": 12345678901234567890, "inf": 1e400, "a": 1.0, "b": -0,\n  "s": "\\u00e9\\n", "arr": [ 1 , -0.0E+00 ] }';
/** …and what every subscriber must see: the same tokens, whitespace dropped. */
export const EXACT_DATA = '{"big":12345678901234567890,"inf":1e400,"a":1.0,"b":-0,"s":"\\u00e9\\n","arr":[1,-0.0E+00]}';

type Node = Pick<TestServer, 'url' | 'wsUrl'>;

/** Publish SENT_DATA through `publishTo` and read it back through every transport of `readFrom`. */
export async function assertByteExact(publishTo: Node, readFrom: Node, channel: string): Promise<void> {
  const ws = await rawWebSocket(readFrom, channel);
  const sse = rawSse(readFrom, channel);
  try {
    await sse.subscribed;
    const cursor = ((await (await fetch(`${readFrom.url}/poll?channel=${channel}`)).json()) as { cursor: string }).cursor;
    const res = await fetch(`${publishTo.url}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: `{"channel":"${channel}", "event": "exact", "data": ${SENT_DATA}}`,
    });
    assert.equal(res.status, 200, await res.text());
    const expected = `"event":"exact","data":${EXACT_DATA}`;
    const frame = await waitUntil(() => ws.texts.find((t) => t.startsWith('{"type":"message"')), 5000, () => 'WebSocket message');
    assert.ok(frame.includes(expected), `WebSocket frame: ${frame}`);
    const line = await waitUntil(() => sse.text().split('\n').find((l) => l.startsWith('data: {"type":"message"')), 5000, () => 'SSE message');
    assert.ok(line.includes(expected), `SSE line: ${line}`);
    const polled = await (await fetch(`${readFrom.url}/poll?channel=${channel}&cursor=${encodeURIComponent(cursor)}`)).text();
    assert.ok(polled.includes(expected), `long-poll answer: ${polled}`);
    const history = await (await fetch(`${readFrom.url}/api/channels/${channel}/history`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    assert.ok(history.includes(`{"offset":1,${expected}}`), `history answer: ${history}`);
    // Each is still JSON a client can parse.
    for (const text of [frame, line.slice('data: '.length), polled, history]) JSON.parse(text);
  } finally {
    ws.socket.close();
    sse.abort();
  }
}

async function rawWebSocket(server: Node, channel: string): Promise<{ socket: WebSocket; texts: string[] }> {
  const socket = new WebSocket(server.wsUrl);
  const texts: string[] = [];
  socket.on('message', (data) => texts.push(data.toString()));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ id: 1, type: 'subscribe', channel }));
  await waitUntil(() => texts.some((t) => t.startsWith('{"type":"reply","id":1,"ok":true')), 5000, () => 'subscribe reply');
  return { socket, texts };
}

function rawSse(server: Node, channel: string): { subscribed: Promise<unknown>; text(): string; abort(): void } {
  const controller = new AbortController();
  let text = '';
  const done = (async () => {
    const res = await fetch(`${server.url}/sse?channel=${channel}`, { signal: controller.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
  })().catch(() => {});
  return {
    subscribed: waitUntil(() => text.includes('event: subscribed'), 5000, () => 'SSE subscribed'),
    text: () => text,
    abort: () => {
      controller.abort();
      void done;
    },
  };
}
