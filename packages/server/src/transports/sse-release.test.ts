/**
 * SSE streams released from Node's HTTP state (sse-release.ts), over real sockets: they still
 * deliver, resume with Last-Event-ID, outlive the request timeout and end on shutdown. The proof
 * that a stream was released is what a pipelined request does: on Node's HTTP state it would be
 * parsed and wait forever behind the endless stream; on a released one it ends the stream.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { capturingLogger, publish, sleep, startServer, waitUntil, type TestServer } from '../test/helpers.js';
import { RawSseStream } from '../test/raw-sse.js';
import { releaseHttpState } from './sse-release.js';

const REQUEST_TIMEOUT_S = 1;
const END_OF_STREAM = /0\r\n\r\n$/;

describe('releaseHttpState on a plain Node HTTP server', () => {
  /** A server whose handler releases each request once `ready(req)` says so; the outcome goes to `results`. */
  async function serve(ready: (req: IncomingMessage) => Promise<void>) {
    const results: Array<{ why: string | undefined; socket: Socket & { parser?: unknown } }> = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void ready(req).then(() => {
        const why = releaseHttpState(req, res);
        results.push({ why, socket: req.socket });
        req.socket.on('error', () => {});
        req.socket.end(why === undefined ? 'released' : 'kept');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, results, port: (server.address() as AddressInfo).port };
  }

  function send(port: number, bytes: string): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
  }

  it('frees the parser of a complete request and leaves the socket to its new owner', async () => {
    const { server, results, port } = await serve(async () => {});
    try {
      assert.equal(await send(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'released');
      assert.equal(results[0]!.why, undefined);
      assert.equal(results[0]!.socket.parser, null);
      // Node's HTTP server's own listeners are gone (net.Socket's own 'end' listener stays).
      const socket = results[0]!.socket;
      const names = socket.eventNames().flatMap((event) => socket.listeners(event).map((listener) => listener.name));
      assert.deepEqual(names.filter((name) => /^(bound )?(socketOn|onSocket)/.test(name)), ['socketOnTimeout']);
    } finally {
      server.close();
    }
  });

  it('touches nothing while the request body is still arriving', async () => {
    const { server, results, port } = await serve(async () => {});
    try {
      assert.equal(await send(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'), 'kept');
      assert.equal(results[0]!.why, 'the request is not complete');
      assert.notEqual(results[0]!.socket.parser, null);
    } finally {
      server.close();
    }
  });

  it('touches nothing when a pipelined request was parsed behind the first', async () => {
    const { server, results, port } = await serve(async () => void (await sleep(50)));
    try {
      const answer = await send(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(answer, /^kept/);
      assert.equal(results[0]!.why, "the parser's current request is not the stream's");
    } finally {
      server.close();
    }
  });
});

describe('SSE stream released from HTTP state', () => {
  let server: TestServer;
  const { logger, lines } = capturingLogger();
  before(async () => {
    server = await startServer(
      { server: { headers_timeout_seconds: 0.5, request_timeout_seconds: REQUEST_TIMEOUT_S }, sse: { retry_ms: 50, heartbeat_seconds: 0.2 } },
      { logger },
    );
  });
  after(() => server.close());

  it('delivers past the request timeout, and its id resumes a new stream with Last-Event-ID', async () => {
    const first = await RawSseStream.open(server.url, '/sse?channel=released');
    await first.waitFor(/event: subscribed\n/);
    // Well past the request timeout and Node's checking interval after it.
    await sleep(REQUEST_TIMEOUT_S * 1000 * 2.5);
    await publish(server, 'released', 1);
    await publish(server, 'released', 2);
    await waitUntil(() => first.messages().length === 2, 5000, () => 'both messages');
    assert.deepEqual(first.messages(), [1, 2]);
    const id = first.lastId()!;
    first.close();
    await first.closed;
    await waitUntil(() => server.herald.hub.subscriberCount('released') === 0, 5000, () => 'the first stream to go');

    await publish(server, 'released', 3);
    await publish(server, 'released', 4);
    const second = await RawSseStream.open(server.url, '/sse?channel=released', { 'Last-Event-ID': id });
    await waitUntil(() => second.messages().length === 2, 5000, () => 'the missed messages');
    assert.deepEqual(second.messages(), [3, 4]);
    assert.match(second.text, /"recovered":true/);
    second.close();
    assert.ok(!lines.some((line) => line.includes("keeps Node's HTTP request state")), 'every stream was released');
  });

  it('ends when the client sends more bytes (a pipelined request), which Node would have parsed and left waiting', async () => {
    const stream = await RawSseStream.open(server.url, '/sse?channel=pipelined');
    await stream.waitFor(/event: subscribed\n/);
    stream.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await stream.closed;
    assert.match(stream.text, END_OF_STREAM);
    assert.equal(stream.text.match(/HTTP\/1\.1 /g)?.length, 1, 'the pipelined request got no answer on this connection');
    await waitUntil(() => server.herald.hub.subscriberCount('pipelined') === 0, 5000, () => 'the subscription to go');
  });

  it('ends when the client half-closes, as Node ends an HTTP connection then', async () => {
    const stream = await RawSseStream.open(server.url, '/sse?channel=half');
    await stream.waitFor(/event: subscribed\n/);
    stream.socket.end();
    await stream.closed;
    assert.match(stream.text, END_OF_STREAM);
    await waitUntil(() => server.herald.hub.subscriberCount('half') === 0, 5000, () => 'the subscription to go');
  });

  it('a stream with a pipelined request already parsed behind it keeps Node\'s HTTP state, says so once at debug, and still delivers', async () => {
    // In the same write as the stream's request: Node parses both before the stream starts.
    const stream = await RawSseStream.open(server.url, '/sse?channel=kept', {}, undefined, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await stream.waitFor(/event: subscribed\n/);
    await publish(server, 'kept', 'still');
    await waitUntil(() => stream.messages().length === 1, 5000, () => 'the message');
    assert.deepEqual(stream.messages(), ['still']);
    assert.equal(lines.filter((line) => line.includes("keeps Node's HTTP request state")).length, 1);
    stream.close();
    await waitUntil(() => server.herald.hub.subscriberCount('kept') === 0, 5000, () => 'the subscription to go');
  });

  it('a client that resets the connection is dropped at once', async () => {
    const stream = await RawSseStream.open(server.url, '/sse?channel=vanish');
    await stream.waitFor(/event: subscribed\n/);
    stream.socket.resetAndDestroy();
    await waitUntil(() => server.herald.hub.subscriberCount('vanish') === 0, 5000, () => 'the subscription to go');
  });
});

describe('SSE stream released from HTTP state, on shutdown', () => {
  it('gets event: error shutting_down and its end, and the server closes', async () => {
    const server = await startServer({ sse: { retry_ms: 1000 } });
    const stream = await RawSseStream.open(server.url, '/sse?channel=bye');
    await stream.waitFor(/event: subscribed\n/);
    await server.close();
    await stream.closed;
    assert.match(stream.text, /event: error\ndata: \{"type":"error","error":\{"code":"shutting_down"/);
    assert.match(stream.text, END_OF_STREAM);
  });
});
