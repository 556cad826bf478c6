/**
 * Requests the HTTP server refuses before any route runs: too slow to arrive (headers, or a body
 * trickled byte by byte), while WebSockets, SSE streams and long-polls, which last, are never cut.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { API_KEY, publish, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { closeSseClients, poll, SseClient } from '../test/http-subscribers.js';

const REQUEST_TIMEOUT_S = 1;

/** Send `head`, then one byte of `trickle` every 100 ms, until the server closes; resolves with its answer. */
function trickle(url: string, head: string, drip: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname, () => {
      socket.write(head);
      let i = 0;
      timer = setInterval(() => socket.write(drip[i++ % drip.length]!), 100);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

describe('request timeouts', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      server: { headers_timeout_seconds: 0.5, request_timeout_seconds: REQUEST_TIMEOUT_S },
      longpoll: { timeout_seconds: 20 },
    });
  });
  after(async () => {
    closeSseClients();
    await server.close();
  });

  it('a body trickled byte by byte is cut with 408 once the request timeout passes', async () => {
    const head = `POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"channel":"slow","data":"`;
    const answer = await trickle(server.url, head, 'x');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"bad_request"/);
  });

  it('headers trickled line by line are cut with 408', async () => {
    const answer = await trickle(server.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: y\r\n');
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('a WebSocket, an SSE stream and a held long-poll outlive the request timeout', async () => {
    const ws = await TestClient.connect(server.wsUrl);
    await ws.subscribe('lasting');
    const sse = new SseClient(`${server.url}/sse?channel=lasting`);
    await sse.waitForSubscribed(1);
    const { body } = await poll(server.url, ['lasting']);
    const held = poll(server.url, ['lasting'], body.cursor);
    // Well past the request timeout and Node's checking interval after it.
    await sleep(REQUEST_TIMEOUT_S * 1000 * 2.5);
    assert.equal((await publish(server, 'lasting', 'still here')).status, 200);
    const answered = await held;
    assert.equal(answered.status, 200);
    assert.deepEqual(answered.body.messages.map((m) => m.data), ['still here']);
    await ws.waitForMessages(1);
    assert.equal(ws.ws.readyState, ws.ws.OPEN);
    ws.close();
    await sse.waitForMessages(1);
    assert.deepEqual(sse.failures, [], 'the SSE stream never dropped');
    assert.equal(sse.subscribed().length, 1, 'the SSE stream was never reopened');
    sse.close();
  });

  it('a headers timeout above the request timeout is a config error', async () => {
    await assert.rejects(startServer({ server: { headers_timeout_seconds: 5, request_timeout_seconds: 1 } }), /headers_timeout_seconds must not exceed server\.request_timeout_seconds/);
  });
});
