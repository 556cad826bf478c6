/**
 * The in-house WebSocket layer (handshake, frame reader, peer) over real sockets: an echo server
 * built on it, driven by a raw TCP client that writes exactly the bytes each case needs (masked or
 * not, fragmented, split, broken), and by `ws` as a real client library.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startServer, TestClient } from '../../test/helpers.js';
import { textFrame } from '../websocket-frame.js';
import { closeFrame } from './frame.js';
import { acceptKey, answerHandshake, checkHandshake, isRefusal, refuseHandshake } from './handshake.js';
import { WebSocketPeer, type WebSocketProtocolError } from './peer.js';

const MAX_PAYLOAD = 1000;

/** Echoes every text message; says "binary" for a binary one; records protocol errors and closes. */
class EchoPeer extends WebSocketPeer {
  static errors: WebSocketProtocolError[] = [];
  static closes = 0;
  protected onText(text: string): void {
    if (text === 'close-me') return this.close(4000, 'asked to');
    this.socket.write(textFrame(text));
  }
  protected onBinary(): void {
    this.socket.write(textFrame('binary'));
  }
  protected onProtocolError(err: WebSocketProtocolError): void {
    EchoPeer.errors.push(err);
  }
  protected onClosed(): void {
    EchoPeer.closes++;
  }
}

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const handshake = checkHandshake(req);
  if (isRefusal(handshake)) return refuseHandshake(socket, handshake);
  answerHandshake(socket, handshake);
  new EchoPeer(socket as Socket, { maxPayload: MAX_PAYLOAD }).attach(head);
}

interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** A client on a raw TCP socket: sends any bytes, parses the server's (unmasked) frames. */
class RawClient {
  readonly frames: ServerFrame[] = [];
  head = '';
  ended = false;
  #buf = Buffer.alloc(0);
  #headDone = false;
  #waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, request: string): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new RawClient(socket);
    socket.write(request);
    await client.until(() => client.#headDone || client.ended);
    return client;
  }

  static upgrade(port: number, headers: Record<string, string> = {}): Promise<RawClient> {
    const all = { Host: 'x', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers };
    const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}`);
    return RawClient.open(port, `GET /ws HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  }

  get status(): number {
    return Number(/^HTTP\/1\.1 (\d+)/.exec(this.head)?.[1]);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async until(done: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async next(opcode?: number): Promise<ServerFrame> {
    await this.until(() => this.frames.some((f) => opcode === undefined || f.opcode === opcode));
    const i = this.frames.findIndex((f) => opcode === undefined || f.opcode === opcode);
    return this.frames.splice(i, 1)[0]!;
  }

  /** The server's close frame: its code (1005 if none) and reason. */
  async closeFrame(): Promise<{ code: number; reason: string }> {
    const { payload } = await this.next(0x8);
    return payload.length === 0 ? { code: 1005, reason: '' } : { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() };
  }

  #read(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    if (!this.#headDone) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.#buf.subarray(0, end + 4).toString();
      this.#buf = this.#buf.subarray(end + 4);
      this.#headDone = true;
      // A refusal's body is not frames.
      if (this.status !== 101) {
        this.head += this.#buf.toString();
        this.#buf = Buffer.alloc(0);
        return this.#wake();
      }
    }
    for (;;) {
      if (this.#buf.length < 2) break;
      let length = this.#buf[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (this.#buf.length < 4) break;
        length = this.#buf.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (this.#buf.length < 10) break;
        length = Number(this.#buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.#buf.length < at + length) break;
      this.frames.push({ opcode: this.#buf[0]! & 0x0f, payload: this.#buf.subarray(at, at + length) });
      this.#buf = this.#buf.subarray(at + length);
    }
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** A client frame: FIN/RSV/opcode byte as given, masked unless `mask` is null. */
function frame(first: number, payload: Buffer | string, mask: Buffer | null = Buffer.from([0x37, 0xfa, 0x21, 0x3d])): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = data.length < 126 ? Buffer.from([data.length]) : data.length < 65_536 ? Buffer.from([126, data.length >> 8, data.length & 0xff]) : Buffer.concat([Buffer.from([127]), u64(data.length)]);
  if (mask) length[0] = length[0]! | 0x80;
  const body = mask ? Buffer.from(data.map((b, i) => b ^ mask[i % 4]!)) : data;
  return Buffer.concat([Buffer.from([first]), length, mask ?? Buffer.alloc(0), body]);
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
const text = (s: string | Buffer) => frame(0x81, s);
function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code);
  b.write(reason, 2);
  return b;
}

describe('ws layer', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((_req, res) => res.end());
    server.on('upgrade', onUpgrade);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  describe('handshake', () => {
    it('answers 101 with the RFC 6455 example accept key and the first subprotocol offered', async () => {
      assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      const c = await RawClient.upgrade(port, { 'Sec-WebSocket-Protocol': 'one, two' });
      assert.equal(c.status, 101);
      assert.match(c.head, /\r\nUpgrade: websocket\r\n/);
      assert.match(c.head, /\r\nConnection: Upgrade\r\n/);
      assert.match(c.head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
      assert.match(c.head, /\r\nSec-WebSocket-Protocol: one\r\n/);
      c.socket.destroy();
    });

    const refusals: Array<[string, Record<string, string>, number, string]> = [
      ['a method other than GET', { method: 'POST' }, 405, 'Invalid HTTP method'],
      ['an Upgrade header other than websocket', { Upgrade: 'h2c' }, 400, 'Invalid Upgrade header'],
      ['a key that is not 16 bytes of base64', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }, 400, 'Missing or invalid Sec-WebSocket-Key header'],
      ['an unsupported version', { 'Sec-WebSocket-Version': '12' }, 400, 'Missing or invalid Sec-WebSocket-Version header'],
      ['a malformed subprotocol list', { 'Sec-WebSocket-Protocol': 'a,,b' }, 400, 'Invalid Sec-WebSocket-Protocol header'],
      ['a repeated subprotocol', { 'Sec-WebSocket-Protocol': 'a, a' }, 400, 'Invalid Sec-WebSocket-Protocol header'],
    ];
    for (const [name, headers, status, body] of refusals) {
      it(`refuses ${name} with ${status}, as ws does`, async () => {
        const { method = 'GET', ...rest } = headers;
        const all = { Host: 'x', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...rest };
        const c = await RawClient.open(port, `${method} /ws HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
        await c.until(() => c.ended);
        assert.equal(c.status, status);
        assert.match(c.head, /\r\nConnection: close\r\n/);
        assert.ok(c.head.endsWith(`\r\n\r\n${body}`), c.head);
        if (status === 400 && name.includes('version')) assert.match(c.head, /\r\nSec-WebSocket-Version: 13, 8\r\n/);
      });
    }
  });

  describe('frames', () => {
    it('echoes a masked text frame, and text from ws as a client', async () => {
      const c = await RawClient.upgrade(port);
      c.send(text('héllo'));
      assert.equal((await c.next(0x1)).payload.toString(), 'héllo');
      c.socket.destroy();

      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await once(ws, 'open');
      ws.send('x'.repeat(MAX_PAYLOAD));
      const [data] = (await once(ws, 'message')) as [Buffer];
      assert.equal(data.toString(), 'x'.repeat(MAX_PAYLOAD));
      ws.close(1000, 'done');
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      assert.equal(code, 1000);
      assert.equal(reason.toString(), 'done');
    });

    it('closes 1002 on an unmasked frame', async () => {
      const c = await RawClient.upgrade(port);
      c.send(frame(0x81, 'plain', null));
      assert.deepEqual(await c.closeFrame(), { code: 1002, reason: '' });
      await c.until(() => c.ended);
    });

    for (const [name, first] of [
      ['an RSV bit set (no extension was agreed)', 0xc1],
      ['an unknown data opcode', 0x83],
      ['an unknown control opcode', 0x8b],
      ['a fragmented control frame', 0x09],
      ['a continuation with no message in progress', 0x80],
    ] as const) {
      it(`closes 1002 on ${name}`, async () => {
        const c = await RawClient.upgrade(port);
        c.send(frame(first, 'x'));
        assert.equal((await c.closeFrame()).code, 1002);
        await c.until(() => c.ended);
      });
    }

    it('closes 1002 on a control frame over 125 bytes', async () => {
      const c = await RawClient.upgrade(port);
      c.send(frame(0x89, Buffer.alloc(126)));
      assert.equal((await c.closeFrame()).code, 1002);
    });

    it('joins a fragmented text message, with a ping between its fragments', async () => {
      const c = await RawClient.upgrade(port);
      c.send(Buffer.concat([frame(0x01, 'frag'), frame(0x89, 'mid'), frame(0x00, 'men'), frame(0x80, 'ted')]));
      assert.equal((await c.next(0xa)).payload.toString(), 'mid');
      assert.equal((await c.next(0x1)).payload.toString(), 'fragmented');
      c.socket.destroy();
    });

    it('closes 1002 on a new data frame inside a fragmented message', async () => {
      const c = await RawClient.upgrade(port);
      c.send(Buffer.concat([frame(0x01, 'a'), frame(0x81, 'b')]));
      assert.equal((await c.closeFrame()).code, 1002);
    });

    it('closes 1009 on a message over the limit, counting all its fragments, before its payload arrives', async () => {
      const c = await RawClient.upgrade(port);
      c.send(Buffer.concat([frame(0x01, 'x'.repeat(600)), frame(0x80, 'x'.repeat(401))]));
      assert.deepEqual(await c.closeFrame(), { code: 1009, reason: '' });
      assert.deepEqual(c.frames, []);

      // Only the header of a huge frame: refused at once, its 2^40 bytes never awaited.
      const d = await RawClient.upgrade(port);
      d.send(Buffer.concat([Buffer.from([0x81, 0xff]), u64(2 ** 40), Buffer.from([1, 2, 3, 4])]));
      assert.equal((await d.closeFrame()).code, 1009);
      await d.until(() => d.ended);
    });

    it('closes 1007 on invalid UTF-8, also when it is split across fragments', async () => {
      const c = await RawClient.upgrade(port);
      c.send(text(Buffer.from([0x7b, 0xff, 0x7d])));
      assert.equal((await c.closeFrame()).code, 1007);

      // "é" is c3 a9: split between fragments it is valid; a lone c3 at the end is not.
      const d = await RawClient.upgrade(port);
      d.send(Buffer.concat([frame(0x01, Buffer.from([0x61, 0xc3])), frame(0x80, Buffer.from([0xa9]))]));
      assert.equal((await d.next(0x1)).payload.toString(), 'aé');
      d.send(Buffer.concat([frame(0x01, Buffer.from([0x61])), frame(0x80, Buffer.from([0xc3]))]));
      assert.equal((await d.closeFrame()).code, 1007);
    });

    it('hands over a binary message (Herald refuses it) and answers a ping with its payload', async () => {
      const c = await RawClient.upgrade(port);
      c.send(Buffer.concat([frame(0x02, Buffer.from([1, 2])), frame(0x80, Buffer.from([3])), frame(0x89, 'are you there')]));
      assert.equal((await c.next(0x1)).payload.toString(), 'binary');
      assert.equal((await c.next(0xa)).payload.toString(), 'are you there');
      // A pong the client volunteers is read and ignored.
      c.send(Buffer.concat([frame(0x8a, 'unasked'), text('still here')]));
      assert.equal((await c.next(0x1)).payload.toString(), 'still here');
      c.socket.destroy();
    });

    it('reads a frame split byte by byte across TCP writes', async () => {
      const c = await RawClient.upgrade(port);
      c.socket.setNoDelay(true);
      const bytes = Buffer.concat([frame(0x81, 'y'.repeat(300)), frame(0x81, 'z')]);
      for (const byte of bytes) {
        c.send(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal((await c.next(0x1)).payload.toString(), 'y'.repeat(300));
      assert.equal((await c.next(0x1)).payload.toString(), 'z');
      c.socket.destroy();
    });

    it('reads frames that arrive with the upgrade request', async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const request = 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
      socket.write(Buffer.concat([Buffer.from(request), text('early')]));
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      const deadline = Date.now() + 3000;
      while (!got.includes('early') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(got.includes('early'), got);
      socket.destroy();
    });

    it('survives garbage: closes 1002 and keeps serving others', async () => {
      const c = await RawClient.upgrade(port);
      c.send(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff\xfe garbage'));
      assert.equal((await c.closeFrame()).code, 1002);
      await c.until(() => c.ended);
      const d = await RawClient.upgrade(port);
      d.send(text('fine'));
      assert.equal((await d.next(0x1)).payload.toString(), 'fine');
      d.socket.destroy();
    });
  });

  describe('close handshake', () => {
    it('echoes the client close code and reason, then ends the socket', async () => {
      const closes = EchoPeer.closes;
      const c = await RawClient.upgrade(port);
      c.send(frame(0x88, closePayload(4321, 'bye now')));
      assert.deepEqual(await c.closeFrame(), { code: 4321, reason: 'bye now' });
      await c.until(() => c.ended);
      await c.until(() => EchoPeer.closes > closes);
    });

    it('answers a close without a code with an empty close', async () => {
      const c = await RawClient.upgrade(port);
      c.send(frame(0x88, Buffer.alloc(0)));
      assert.deepEqual(await c.closeFrame(), { code: 1005, reason: '' });
      await c.until(() => c.ended);
    });

    it('closes 1002 on an invalid close code, 1007 on a reason that is not UTF-8', async () => {
      const c = await RawClient.upgrade(port);
      c.send(frame(0x88, closePayload(1005)));
      assert.equal((await c.closeFrame()).code, 1002);
      const d = await RawClient.upgrade(port);
      d.send(frame(0x88, Buffer.concat([closePayload(1000), Buffer.from([0xff])])));
      assert.equal((await d.closeFrame()).code, 1007);
    });

    it('server-initiated: sends code and reason, waits for the client close, then ends', async () => {
      const c = await RawClient.upgrade(port);
      c.send(text('close-me'));
      assert.deepEqual(await c.closeFrame(), { code: 4000, reason: 'asked to' });
      // Data after the server's close frame is not delivered; the client's close finishes it.
      c.send(text('too late'));
      c.send(frame(0x88, closePayload(4000)));
      await c.until(() => c.ended);
      assert.deepEqual(c.frames, []);
    });

    it('cuts a reason longer than a close frame holds at a character boundary', () => {
      // 'a' then two-byte characters: byte 120 falls inside one, which is dropped.
      const long = closeFrame(4000, 'a' + 'é'.repeat(100));
      assert.equal(long[1], 2 + 119 + 3);
      const reason = long.subarray(4).toString();
      assert.ok(reason.endsWith('...') && !reason.includes('\uFFFD'), reason);
    });
  });

  it('reports every protocol error it closed for', () => {
    assert.ok(EchoPeer.errors.length > 0);
    for (const err of EchoPeer.errors) assert.ok([1002, 1007, 1009].includes(err.closeCode), err.message);
  });
});

describe("Herald's /ws endpoint on this layer", () => {
  it('refuses a broken handshake as ws did, serves a client, and closes 1009/1007/1002 on bad frames', async () => {
    const server = await startServer({ limits: { max_frame_bytes: 2000 } });
    try {
      const port = Number(new URL(server.url).port);
      const bad = await RawClient.upgrade(port, { 'Sec-WebSocket-Version': '7' });
      await bad.until(() => bad.ended);
      assert.equal(bad.status, 400);
      assert.match(bad.head, /Missing or invalid Sec-WebSocket-Version header$/);

      const c = await TestClient.connect(server.wsUrl);
      c.send({ type: 'ping', id: 1 });
      assert.deepEqual(await c.waitFor((f) => f.type === 'pong'), { type: 'pong', id: 1 });
      c.close();

      for (const [bytes, code] of [
        [text('x'.repeat(2001)), 1009],
        [text(Buffer.from([0x22, 0xc3, 0x22])), 1007],
        [frame(0x81, '{}', null), 1002],
      ] as const) {
        const raw = await RawClient.upgrade(port);
        assert.equal(raw.status, 101);
        raw.send(bytes);
        assert.equal((await raw.closeFrame()).code, code);
        await raw.until(() => raw.ended);
      }
    } finally {
      await server.close();
    }
  });
});
