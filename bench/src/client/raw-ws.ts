/**
 * @module client/raw-ws
 * A deliberately lean RFC 6455 client over a raw TCP socket, for the load generator only.
 *
 * Why not the `ws` client: one `ws` WebSocket per subscriber costs an EventEmitter, a Receiver
 * stream, a string decode and a Buffer per message; with 10 000 of them in one process the
 * generator saturates its core long before a good server does, and the benchmark would measure
 * the generator. Here every socket shares one read buffer (net's `onread`), text frames are
 * handed to the caller as byte ranges of that buffer (no string, no JSON), and only the rare
 * control paths (handshake, close) allocate.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { RawClient } from './raw-socket.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface RawWsHandlers {
  /** Called once the 101 response has been verified. */
  onOpen(): void;
  /**
   * A complete text frame: bytes buf[start, end). The range is only valid during the call;
   * `now` is the arrival time of the read that completed the frame (performance.timeOrigin +
   * performance.now()), taken once per read so a burst of frames shares one clock call.
   */
  onText(buf: Buffer, start: number, end: number, now: number): void;
  /** The socket is gone (error, close frame, or EOF); `reason` is for diagnostics. */
  onClose(reason: string): void;
}

export interface RawWsOptions {
  host: string;
  port: number;
  /** Request target, e.g. `/ws` or `/socket.io/?EIO=4&transport=websocket`. */
  path: string;
  handlers: RawWsHandlers;
}

const enum State {
  Handshake,
  Open,
}

export class RawWsClient extends RawClient {
  private readonly handlers: RawWsHandlers;
  private readonly expectedAccept: string;
  private state = State.Handshake;
  /** Bytes of an incomplete frame (or handshake) carried over to the next read; rarely used. */
  private pending: Buffer | null = null;
  /** Payload of a fragmented text message being reassembled (servers here do not fragment). */
  private fragments: Buffer[] | null = null;

  constructor(opts: RawWsOptions) {
    const key = randomBytes(16).toString('base64');
    super(
      opts.host,
      opts.port,
      `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      (reason) => opts.handlers.onClose(reason),
    );
    this.handlers = opts.handlers;
    this.expectedAccept = createHash('sha1').update(key + WS_GUID).digest('base64');
  }

  get open(): boolean {
    return !this.closed && this.state === State.Open;
  }

  /** Send one text frame (masked, as RFC 6455 requires of clients). */
  sendText(text: string): void {
    this.sendFrame(0x1, Buffer.from(text, 'utf8'));
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    if (this.closed) return;
    const len = payload.length;
    const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(headerLen + 4 + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) {
      frame[1] = 0x80 | len;
    } else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(len), 2);
    }
    // Fresh random key per frame: clients send only a handful of frames, so this costs nothing.
    randomFillSync(frame, headerLen, 4);
    for (let i = 0; i < len; i++) frame[headerLen + 4 + i] = payload[i]! ^ frame[headerLen + (i & 3)]!;
    this.socket.write(frame);
  }

  protected onRead(nread: number, shared: Buffer): void {
    let buf: Buffer;
    let pos: number;
    let end: number;
    if (this.pending) {
      buf = Buffer.concat([this.pending, shared.subarray(0, nread)]);
      this.pending = null;
      pos = 0;
      end = buf.length;
    } else {
      buf = shared;
      pos = 0;
      end = nread;
    }
    if (this.state === State.Handshake) {
      pos = this.readHandshake(buf, end);
      if (pos < 0) return;
    }
    const now = performance.timeOrigin + performance.now();
    while (pos < end && !this.closed && this.state === State.Open) {
      const used = this.readFrame(buf, pos, end, now);
      if (used === 0) {
        // Incomplete frame: keep a copy, because `shared` is overwritten by the next read.
        this.pending = Buffer.from(buf.subarray(pos, end));
        return;
      }
      pos += used;
    }
  }

  /** Returns the offset after the response head, or -1 if incomplete / failed. */
  private readHandshake(buf: Buffer, end: number): number {
    // Search only the bytes of this read: the shared buffer holds stale data past `end`.
    const headEnd = buf.subarray(0, end).indexOf('\r\n\r\n', 0, 'latin1');
    if (headEnd < 0) {
      if (end > 16384) this.finish('handshake response too large');
      else this.pending = Buffer.from(buf.subarray(0, end));
      return -1;
    }
    const head = buf.toString('latin1', 0, headEnd);
    if (!/^HTTP\/1\.1 101 /.test(head)) {
      this.finish(`handshake refused: ${head.split('\r\n')[0] ?? ''}`);
      return -1;
    }
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    if (accept !== this.expectedAccept) {
      this.finish('bad Sec-WebSocket-Accept');
      return -1;
    }
    this.state = State.Open;
    this.handlers.onOpen();
    return headEnd + 4;
  }

  /** Parses one frame at `pos`; returns bytes consumed, or 0 if the frame is incomplete. */
  private readFrame(buf: Buffer, pos: number, end: number, now: number): number {
    if (end - pos < 2) return 0;
    const b0 = buf[pos]!;
    const b1 = buf[pos + 1]!;
    const opcode = b0 & 0x0f;
    let len = b1 & 0x7f;
    let hdr = 2;
    if (len === 126) {
      if (end - pos < 4) return 0;
      len = buf.readUInt16BE(pos + 2);
      hdr = 4;
    } else if (len === 127) {
      if (end - pos < 10) return 0;
      len = Number(buf.readBigUInt64BE(pos + 2));
      hdr = 10;
    }
    if (b1 & 0x80) {
      // Servers must not mask; treat it as a protocol error rather than guess.
      this.finish('masked frame from server');
      return end - pos;
    }
    const start = pos + hdr;
    if (end - start < len) return 0;
    const fin = (b0 & 0x80) !== 0;
    switch (opcode) {
      case 0x1: // text
        if (fin) this.handlers.onText(buf, start, start + len, now);
        else this.fragments = [Buffer.from(buf.subarray(start, start + len))];
        break;
      case 0x0: // continuation
        if (this.fragments) {
          this.fragments.push(Buffer.from(buf.subarray(start, start + len)));
          if (fin) {
            const whole = Buffer.concat(this.fragments);
            this.fragments = null;
            this.handlers.onText(whole, 0, whole.length, now);
          }
        }
        break;
      case 0x9: // ping: answer with the same payload, or the server's heartbeat drops us
        this.sendFrame(0xa, Buffer.from(buf.subarray(start, start + len)));
        break;
      case 0x8: // close
        this.finish(`close frame ${len >= 2 ? buf.readUInt16BE(start) : ''}`);
        break;
      default: // pong / binary: not used by any server under test
        break;
    }
    return hdr + len;
  }
}
