/**
 * @module client/raw-sse
 * A deliberately lean Server-Sent Events client over a raw TCP socket, for the load generator
 * only; the SSE counterpart of client/raw-ws.
 *
 * It writes the `GET` request itself, checks the response head (200, `text/event-stream`),
 * decodes the chunked body with a byte-at-a-time state machine that survives any read
 * boundary, and splits the body into lines in place. Only `data:` lines are handed to the
 * caller, as byte ranges of the read buffer (no string, no JSON); `event:`, `id:`, `retry:`
 * and comment lines (heartbeats) are skipped without allocating. Every socket shares one read
 * buffer (net's `onread`); the only copies are a line or head cut by the end of a read.
 *
 * Simplifications, fine for the servers measured here: lines end in `\n` (a trailing `\r` is
 * dropped, a lone `\r` is not a line end), and a `data:` line is reported as soon as it is
 * complete rather than at the blank line that ends its event (Herald writes whole events, and
 * the id line that ends each write, in one write, so they arrive in the same read).
 */
import { RawClient } from './raw-socket.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const SEMICOLON = 0x3b;
/** `data:` as bytes 0..4. */
const D = 0x64;
const A = 0x61;
const T = 0x74;

export interface RawSseHandlers {
  /** The response head was 200 with an event stream; events follow. */
  onOpen(): void;
  /**
   * The value of one complete `data:` line: bytes buf[start, end), valid only during the call.
   * `now` is the arrival time of the read that completed the line (one clock call per read).
   */
  onData(buf: Buffer, start: number, end: number, now: number): void;
  /** The socket is gone (error, refusal, end of stream); `reason` is for diagnostics. */
  onClose(reason: string): void;
}

export interface RawSseOptions {
  host: string;
  port: number;
  /** Request target, e.g. `/sse?channel=bench`. */
  path: string;
  handlers: RawSseHandlers;
}

const enum State {
  Head,
  /** Chunk size in hex. */
  Size,
  /** Chunk extension, up to the end of the size line. */
  SizeExt,
  Data,
  /** The CRLF after a chunk's data. */
  DataEnd,
  /** Body without chunked framing (a server that sends `Connection: close` instead). */
  Raw,
}

export class RawSseClient extends RawClient {
  private readonly handlers: RawSseHandlers;
  private state = State.Head;
  /** Head bytes cut by a read boundary (rare). */
  private head: Buffer | null = null;
  private chunkSize = 0;
  /** Bytes of the current chunk's data still to come. */
  private chunkLeft = 0;
  /** Start of a body line cut by a read or chunk boundary, copied (rare). */
  private carry: Buffer | null = null;

  constructor(opts: RawSseOptions) {
    super(opts.host, opts.port, `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nAccept: text/event-stream\r\n\r\n`, (reason) =>
      opts.handlers.onClose(reason),
    );
    this.handlers = opts.handlers;
  }

  get open(): boolean {
    return !this.closed && this.state !== State.Head;
  }

  protected onRead(nread: number, shared: Buffer): void {
    let buf = shared;
    let pos = 0;
    const end = nread;
    if (this.state === State.Head) {
      if (this.head) {
        buf = Buffer.concat([this.head, shared.subarray(0, nread)]);
        this.head = null;
      }
      pos = this.readHead(buf, buf === shared ? end : buf.length);
      if (pos < 0) return;
      return this.readBody(buf, pos, buf === shared ? end : buf.length);
    }
    this.readBody(buf, pos, end);
  }

  /** Returns the offset after the response head, or -1 if incomplete / refused. */
  private readHead(buf: Buffer, end: number): number {
    // Only the bytes of this read: the shared buffer holds stale data past `end`.
    const headEnd = buf.subarray(0, end).indexOf('\r\n\r\n', 0, 'latin1');
    if (headEnd < 0) {
      if (end > 16384) this.finish('response head too large');
      else this.head = Buffer.from(buf.subarray(0, end));
      return -1;
    }
    const head = buf.toString('latin1', 0, headEnd);
    if (!/^HTTP\/1\.1 200 /.test(head)) {
      const body = buf.toString('utf8', headEnd + 4, Math.min(end, headEnd + 4 + 300));
      this.finish(`refused: ${head.split('\r\n')[0] ?? ''} ${body}`);
      return -1;
    }
    if (!/\r\ncontent-type:\s*text\/event-stream/i.test(head)) {
      this.finish(`not an event stream: ${head.replace(/\r\n/g, ' | ')}`);
      return -1;
    }
    this.state = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head) ? State.Size : State.Raw;
    this.handlers.onOpen();
    return headEnd + 4;
  }

  /** Chunked decoding: hands each run of data bytes within buf[pos, end) to readLines. */
  private readBody(buf: Buffer, pos: number, end: number): void {
    if (this.closed) return; // by the onOpen handler
    const now = performance.timeOrigin + performance.now();
    if (this.state === State.Raw) return this.readLines(buf, pos, end, now);
    while (pos < end && !this.closed) {
      switch (this.state) {
        case State.Data: {
          const stop = Math.min(end, pos + this.chunkLeft);
          this.readLines(buf, pos, stop, now);
          if (this.closed) return;
          this.chunkLeft -= stop - pos;
          pos = stop;
          if (this.chunkLeft === 0) this.state = State.DataEnd;
          break;
        }
        case State.Size: {
          const c = buf[pos++]!;
          const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (digit >= 0) this.chunkSize = this.chunkSize * 16 + digit;
          else if (c === SEMICOLON || c === CR || c === SPACE) this.state = State.SizeExt;
          else if (c === LF) this.startChunk();
          else return this.finish(`bad chunk size byte 0x${c.toString(16)}`);
          break;
        }
        case State.SizeExt:
          if (buf[pos++] === LF) this.startChunk();
          break;
        case State.DataEnd: {
          const c = buf[pos++]!;
          if (c === LF) this.state = State.Size;
          else if (c !== CR) return this.finish(`bad chunk end byte 0x${c.toString(16)}`);
          break;
        }
        default:
          return;
      }
    }
  }

  private startChunk(): void {
    if (this.chunkSize === 0) return this.finish('end of stream');
    this.chunkLeft = this.chunkSize;
    this.chunkSize = 0;
    this.state = State.Data;
  }

  /** Splits body bytes buf[pos, end) into lines; a line cut at `end` is carried over. */
  private readLines(buf: Buffer, pos: number, end: number, now: number): void {
    if (this.carry) {
      const nl = nextLine(buf, pos, end);
      const joined = Buffer.concat([this.carry, buf.subarray(pos, nl)]);
      if (nl === end) {
        this.carry = joined;
        return;
      }
      this.carry = null;
      this.line(joined, 0, joined.length, now);
      if (this.closed) return;
      pos = nl + 1;
    }
    while (pos < end) {
      const nl = nextLine(buf, pos, end);
      if (nl === end) {
        this.carry = Buffer.from(buf.subarray(pos, end));
        return;
      }
      this.line(buf, pos, nl, now);
      if (this.closed) return;
      pos = nl + 1;
    }
  }

  /** One line without its `\n`. Only `data:` lines matter here. */
  private line(buf: Buffer, start: number, end: number, now: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end - start < 5 || buf[start] !== D || buf[start + 1] !== A || buf[start + 2] !== T || buf[start + 3] !== A || buf[start + 4] !== COLON) return;
    let value = start + 5;
    if (buf[value] === SPACE) value++;
    this.handlers.onData(buf, value, end, now);
  }
}

/**
 * The next `\n` in buf[pos, end), or `end`. A native search (memchr) rather than a loop over
 * bytes in JS: this scan is most of the client's work per delivery. The shared read buffer holds
 * stale bytes past `end`, so a match there counts as none.
 */
function nextLine(buf: Buffer, pos: number, end: number): number {
  const nl = buf.indexOf(LF, pos);
  return nl === -1 || nl > end ? end : nl;
}
