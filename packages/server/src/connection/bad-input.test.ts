/**
 * The bad-input table: each row sends one kind of bad input over a real socket and checks the
 * documented error or close code, then checks that the node still serves a bystander.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, ErrorCode, type ServerFrame } from '@herald/protocol';
import { WebSocket } from 'ws';
import { publish, startServer, TestClient, type TestServer } from '../test/helpers.js';

type Outcome = { error: string; id?: number; message?: RegExp } | { close: number };

interface Row {
  name: string;
  /** Frames sent after connecting (strings go as-is, Buffers as binary frames). */
  send: (c: TestClient) => void | Promise<void>;
  expect: Outcome;
}

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const rows: Row[] = [
  { name: 'malformed JSON', send: (c) => c.send('{"type": "subscribe",'), expect: { error: ErrorCode.BadJson } },
  { name: 'JSON that is not an object', send: (c) => c.send('[1,2,3]'), expect: { error: ErrorCode.BadRequest } },
  { name: 'unknown type', send: (c) => c.send({ id: 1, type: 'explode', channel: 'a' }), expect: { error: ErrorCode.UnknownType, id: 1 } },
  { name: 'missing type', send: (c) => c.send({ id: 2, channel: 'a' }), expect: { error: ErrorCode.UnknownType, id: 2 } },
  { name: 'missing channel', send: (c) => c.send({ id: 3, type: 'subscribe' }), expect: { error: ErrorCode.BadRequest, id: 3 } },
  { name: 'bad id', send: (c) => c.send({ id: 'x', type: 'ping' }), expect: { error: ErrorCode.BadRequest } },
  { name: 'bad since', send: (c) => c.send({ id: 4, type: 'subscribe', channel: 'a', since: { offset: -1 } }), expect: { error: ErrorCode.BadRequest, id: 4 } },
  { name: 'unknown field', send: (c) => c.send({ id: 13, type: 'subscribe', channel: 'a', sinse: { offset: 0, epoch: '' } }), expect: { error: ErrorCode.BadRequest, id: 13, message: /unknown field "sinse"/ } },
  { name: 'unknown field in since', send: (c) => c.send({ id: 14, type: 'subscribe', channel: 'a', since: { offset: 0, epoch: '', x: 1 } }), expect: { error: ErrorCode.BadRequest, id: 14 } },
  { name: 'field of another command', send: (c) => c.send({ id: 15, type: 'ping', channel: 'a' }), expect: { error: ErrorCode.BadRequest, id: 15, message: /unknown field "channel" in ping/ } },
  {
    name: 'publish nested deeper than max_json_depth',
    send: (c) => c.send(`{"id":16,"type":"publish","channel":"open:a","data":${deep(1500)}}`),
    expect: { error: ErrorCode.BadRequest, id: 16, message: /limits\.max_json_depth \(64 levels\)/ },
  },
  { name: 'deep auth frame, id after it', send: (c) => c.send(`{"type":"auth","token":${deep(100)},"id":17}`), expect: { error: ErrorCode.BadRequest, id: 17, message: /max_json_depth/ } },
  { name: 'deep frame without an id', send: (c) => c.send(deep(2000)), expect: { error: ErrorCode.BadRequest, message: /max_json_depth/ } },
  { name: 'publish without data', send: (c) => c.send({ id: 5, type: 'publish', channel: 'open:a' }), expect: { error: ErrorCode.BadRequest, id: 5 } },
  { name: 'invalid channel name', send: (c) => c.send({ id: 6, type: 'subscribe', channel: 'bad channel!' }), expect: { error: ErrorCode.InvalidChannel, id: 6 } },
  { name: 'channel name too long', send: (c) => c.send({ id: 7, type: 'subscribe', channel: 'x'.repeat(300) }), expect: { error: ErrorCode.InvalidChannel, id: 7 } },
  { name: 'unknown namespace', send: (c) => c.send({ id: 8, type: 'subscribe', channel: 'nope:a' }), expect: { error: ErrorCode.UnknownChannel, id: 8 } },
  { name: 'undeclared channel in a closed namespace', send: (c) => c.send({ id: 9, type: 'subscribe', channel: 'fixed:other' }), expect: { error: ErrorCode.UnknownChannel, id: 9 } },
  { name: 'transport not allowed by namespace', send: (c) => c.send({ id: 10, type: 'subscribe', channel: 'sseonly:a' }), expect: { error: ErrorCode.TransportNotAllowed, id: 10 } },
  { name: 'client publish where the namespace forbids it', send: (c) => c.send({ id: 11, type: 'publish', channel: 'a', data: 1 }), expect: { error: ErrorCode.Forbidden, id: 11 } },
  {
    name: 'duplicate subscribe',
    send: async (c) => {
      await c.subscribe('dup');
      c.send({ id: 90, type: 'subscribe', channel: 'dup' });
    },
    expect: { error: ErrorCode.AlreadySubscribed, id: 90 },
  },
  { name: 'unsubscribe of a channel not subscribed', send: (c) => c.send({ id: 12, type: 'unsubscribe', channel: 'never' }), expect: { error: ErrorCode.NotSubscribed, id: 12 } },
  {
    name: 'too many subscriptions',
    send: async (c) => {
      for (let i = 0; i < 3; i++) await c.subscribe(`many-${i}`);
      c.send({ id: 91, type: 'subscribe', channel: 'many-3' });
    },
    expect: { error: ErrorCode.TooManySubscriptions, id: 91 },
  },
  {
    name: 'channel at max subscribers',
    send: async (c) => {
      await c.subscribe('small:room');
      const other = await TestClient.connect(c.ws.url);
      await other.subscribe('small:room');
      c.send({ id: 92, type: 'subscribe', channel: 'small:room2' });
      await c.waitFor((f) => f.type === 'reply' && f.id === 92);
      other.send({ id: 93, type: 'subscribe', channel: 'small:room2' });
      const r = await other.waitFor((f) => f.type === 'reply' && f.id === 93);
      assert.ok('ok' in r);
      const third = await TestClient.connect(c.ws.url);
      third.send({ id: 94, type: 'subscribe', channel: 'small:room' });
      const full = await third.waitFor((f) => f.type === 'reply' && f.id === 94);
      assert.deepEqual('error' in full && full.error.code, ErrorCode.ChannelFull);
      c.send({ id: 95, type: 'subscribe', channel: 'small:room' });
    },
    expect: { error: ErrorCode.AlreadySubscribed, id: 95 },
  },
  { name: 'binary frame', send: (c) => c.ws.send(Buffer.from([1, 2, 3]), { binary: true }), expect: { close: CloseCode.UnsupportedData } },
  {
    name: 'invalid UTF-8 in a text frame',
    send: (c) => sendRawTextFrame(c.ws, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    expect: { close: CloseCode.InvalidPayload },
  },
  { name: 'oversize frame', send: (c) => c.send({ type: 'ping', pad: 'x'.repeat(5000) }), expect: { close: CloseCode.MessageTooBig } },
  {
    name: 'flood above the rate limit',
    send: (c) => {
      for (let i = 0; i < 40; i++) c.send({ type: 'ping' });
    },
    expect: { close: CloseCode.RateLimited },
  },
];

/** Send a text frame whose payload skips ws's client-side UTF-8 handling (bytes as given). */
function sendRawTextFrame(ws: WebSocket, payload: Buffer): void {
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
}

describe('bad input over WebSocket', () => {
  let server: TestServer;
  let bystander: TestClient;
  before(async () => {
    server = await startServer({
      limits: { max_frame_bytes: 4096, max_subscriptions_per_connection: 3, client_messages_per_second: 20 },
      namespaces: {
        default: {},
        open: { allow_client_publish: true },
        fixed: { allow_create_new_channels: false, channels: ['only'] },
        sseonly: { transports: ['sse'] },
        small: { max_subscribers: 2 },
      },
    });
    bystander = await TestClient.connect(server.wsUrl);
    await bystander.subscribe('bystander');
  });
  after(async () => {
    bystander.close();
    await server.close();
  });

  let published = 0;
  for (const row of rows) {
    it(`${row.name} → ${'error' in row.expect ? row.expect.error : `close ${row.expect.close}`}, others unaffected`, async () => {
      const c = await TestClient.connect(server.wsUrl);
      await row.send(c);
      if ('close' in row.expect) {
        const { code } = await c.closed;
        assert.equal(code, row.expect.close);
      } else {
        const expected = row.expect;
        const frame = await c.waitFor((f: ServerFrame) => f.type === 'error' || (f.type === 'reply' && 'error' in f));
        const error = 'error' in frame ? frame.error : undefined;
        assert.equal(error?.code, expected.error, JSON.stringify(frame));
        assert.ok(error.message.length > 0);
        if (expected.message) assert.match(error.message, expected.message);
        if (expected.id !== undefined) assert.equal((frame as { id?: number }).id, expected.id);
        else assert.equal(frame.type, 'error');
        // The offender itself is still served after a recoverable error.
        c.send({ id: 999, type: 'ping' });
        await c.waitFor((f) => f.type === 'pong');
        c.close();
      }
      await publish(server, 'bystander', ++published);
      const got = await bystander.waitForMessages(published);
      assert.equal(got.at(-1)!.data, published);
    });
  }
});
