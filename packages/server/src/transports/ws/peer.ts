/**
 * @module transports/ws/peer
 * One server-side WebSocket connection over its socket, after the handshake: reads client
 * frames, answers pings, runs the close handshake, and hands whole messages to a subclass.
 *
 * Memory per idle connection is the point (docs/benchmarks.md, "Memory per idle connection"):
 * `ws` keeps a WebSocket, a Receiver (a Writable stream, with its state) and a Sender per
 * connection. Here a connection is this one object — a few fields, most of them empty while
 * idle — plus the socket; its socket listeners are module functions shared by every connection
 * (`this` is the socket), and no timer runs per connection except while a close is pending.
 */
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { closeFrame, controlFrame, isValidCloseCode, Opcode, PING_FRAME, ProtocolClose } from './frame.js';
import { FRAME_INVALID, FRAME_READY, frameHeader, readHeader, unmask } from './frame-reader.js';

/** Settings shared by every peer of an endpoint (one object, not a copy per connection). */
export interface PeerSettings {
  /** Largest message, all its fragments together, in bytes (`ws`'s maxPayload); larger closes 1009. */
  maxPayload: number;
}

/** How long a close handshake may take before the socket is cut (`ws`'s default). */
export const CLOSE_TIMEOUT_MS = 30_000;

/** A protocol violation by the client, with the close code the connection was closed with. */
export class WebSocketProtocolError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(`Invalid WebSocket frame: ${message}`);
  }
}

// #flags bits. A peer is open while none is set.
const CLOSE_SENT = 1;
/** Reading is over: the peer's close frame came, its input broke the protocol, or the socket ended. */
const READ_DONE = 2;
const CLOSED = 4;

const kPeer = Symbol('herald.ws.peer');
type PeerSocket = Socket & { [kPeer]?: WebSocketPeer };

/** The header of the frame being read; reading is synchronous, so every peer can share one. */
const header = frameHeader();

export abstract class WebSocketPeer<S extends PeerSettings = PeerSettings> {
  #flags = 0;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Bytes of a frame not yet whole, kept until `#inputNeed` more arrive. */
  #input: Buffer[] | undefined;
  #inputBytes = 0;
  #inputNeed = 0;
  /** The fragmented message in progress: its opcode (0: none), payload so far (text only) and size. */
  #messageOpcode = 0;
  #message: Buffer[] | undefined;
  #messageBytes = 0;

  constructor(
    readonly socket: Socket,
    readonly settings: S,
  ) {}

  /** A text message (valid UTF-8, within maxPayload). */
  protected abstract onText(text: string): void;
  /** A binary message. */
  protected abstract onBinary(): void;
  /** The client broke the protocol; the connection is already closing with `err.closeCode`. */
  protected abstract onProtocolError(err: WebSocketProtocolError): void;
  /** The socket closed; called once. */
  protected abstract onClosed(): void;

  /** Start reading, `head` first (the bytes that came with the upgrade request). */
  attach(head: Buffer): void {
    const socket = this.socket as PeerSocket;
    socket[kPeer] = this;
    socket.setTimeout(0);
    socket.setNoDelay();
    // Before the 'data' listener, so `head` is emitted first, once the stream flows (not now).
    if (head.length > 0) socket.unshift(head);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** Neither side has started closing: data may be sent. */
  get isOpen(): boolean {
    return this.#flags === 0;
  }

  ping(): void {
    if (this.#flags === 0) this.socket.write(PING_FRAME);
  }

  /**
   * Start (or finish) the close handshake: send a close frame with `code` and `reason` (cut to
   * 123 bytes), then wait for the client's, at most CLOSE_TIMEOUT_MS.
   */
  close(code: number, reason = ''): void {
    if (this.#flags & CLOSED) return;
    if (this.#flags & CLOSE_SENT) {
      if (this.#flags & READ_DONE) this.socket.end();
      return;
    }
    this.#flags |= CLOSE_SENT;
    if (this.socket.writable) this.socket.write(closeFrame(code, reason));
    if (this.#flags & READ_DONE) this.socket.end();
    this.#closeTimer = setTimeout(destroySocket, CLOSE_TIMEOUT_MS, this.socket);
  }

  /** Cut the connection without a close handshake. */
  terminate(): void {
    this.#flags |= CLOSE_SENT | READ_DONE;
    this.socket.destroy();
  }

  /** Resolve-style hook for code that waits for many connections to close (websocket-close.ts). */
  once(event: 'close', listener: () => void): void {
    if (this.#flags & CLOSED) queueMicrotask(listener);
    else this.socket.once(event, listener);
  }

  /** @internal Bytes from the socket. */
  read(chunk: Buffer): void {
    if (this.#flags & READ_DONE) return;
    let buf = chunk;
    if (this.#input !== undefined) {
      this.#input.push(chunk);
      this.#inputBytes += chunk.length;
      if (this.#inputBytes < this.#inputNeed) return;
      buf = Buffer.concat(this.#input, this.#inputBytes);
      this.#input = undefined;
    }
    let at = 0;
    while (at < buf.length && !(this.#flags & READ_DONE)) {
      const missing = readHeader(buf, at, header);
      if (missing === FRAME_INVALID) return this.#fail(header.closeCode, header.error);
      const isData = header.opcode < Opcode.Close;
      // The size limit holds for the whole message, and is checked before its payload arrives.
      if (missing === FRAME_READY && isData && this.#messageBytes + header.payloadBytes > this.settings.maxPayload) {
        return this.#fail(ProtocolClose.MessageTooBig, 'Max payload size exceeded');
      }
      const frameBytes = missing === FRAME_READY ? header.headerBytes + header.payloadBytes : 0;
      if (missing !== FRAME_READY || buf.length - at < frameBytes) {
        this.#keep(buf, at, missing !== FRAME_READY ? missing : frameBytes - (buf.length - at));
        return;
      }
      const start = at + header.headerBytes;
      at += frameBytes;
      unmask(buf, header.maskAt, start, at);
      if (isData) this.#dataFrame(header.opcode, header.fin, buf.subarray(start, at));
      else this.#controlFrame(header.opcode, buf.subarray(start, at));
    }
  }

  /** Keep `buf[at..]` until `need` more bytes arrive (copied unless it is the whole chunk, so a small tail does not pin a large one). */
  #keep(buf: Buffer, at: number, need: number): void {
    const rest = at === 0 ? buf : Buffer.from(buf.subarray(at));
    this.#input = [rest];
    this.#inputBytes = rest.length;
    this.#inputNeed = rest.length + need;
  }

  #dataFrame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === Opcode.Continuation) {
      if (this.#messageOpcode === 0) return this.#fail(ProtocolClose.ProtocolError, 'invalid opcode 0');
      opcode = this.#messageOpcode;
    } else if (this.#messageOpcode !== 0) {
      return this.#fail(ProtocolClose.ProtocolError, `invalid opcode ${opcode}`);
    }
    if (!fin) {
      // A fragment: text is kept to be checked and decoded whole; binary is refused whole, so only counted.
      this.#messageOpcode = opcode;
      this.#messageBytes += payload.length;
      if (opcode === Opcode.Text && payload.length > 0) (this.#message ??= []).push(payload);
      return;
    }
    let message = payload;
    if (this.#messageOpcode !== 0) {
      if (opcode === Opcode.Text) {
        const parts = this.#message ?? [];
        parts.push(payload);
        message = Buffer.concat(parts, this.#messageBytes + payload.length);
      }
      this.#messageOpcode = 0;
      this.#message = undefined;
      this.#messageBytes = 0;
    }
    // Data after our close frame is read (to see the client's close) but not delivered.
    if (this.#flags !== 0) return;
    if (opcode === Opcode.Binary) return this.onBinary();
    if (!isUtf8(message)) return this.#fail(ProtocolClose.InvalidData, 'invalid UTF-8 sequence');
    this.onText(message.toString('utf8'));
  }

  #controlFrame(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      if (this.#flags === 0) this.socket.write(controlFrame(Opcode.Pong, payload));
      return;
    }
    if (opcode === Opcode.Pong) return;
    // Close: echo the client's code (none if it sent none), then end the socket.
    if (payload.length === 0) {
      this.#flags |= READ_DONE;
      return this.close(ProtocolClose.NoStatus);
    }
    const code = payload.readUInt16BE(0);
    if (!isValidCloseCode(code)) return this.#fail(ProtocolClose.ProtocolError, `invalid status code ${code}`);
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) return this.#fail(ProtocolClose.InvalidData, 'invalid UTF-8 sequence');
    this.#flags |= READ_DONE;
    this.close(code, reason.toString('utf8'));
  }

  /** The client broke the protocol: stop reading, close with `code` and end the socket without waiting for its close frame. */
  #fail(code: number, message: string): void {
    this.#flags |= READ_DONE;
    this.#input = undefined;
    this.#message = undefined;
    this.close(code);
    this.onProtocolError(new WebSocketProtocolError(code, message));
  }

  /** @internal The client ended its side: end ours (as `ws`). */
  ended(): void {
    this.#flags |= READ_DONE;
    this.socket.end();
  }

  /** @internal The socket closed. */
  closed(): void {
    if (this.#flags & CLOSED) return;
    this.#flags |= CLOSED | CLOSE_SENT | READ_DONE;
    clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#input = undefined;
    this.#message = undefined;
    this.onClosed();
  }
}

// The socket's listeners, one of each for every connection: `this` is the socket.
function onSocketData(this: PeerSocket, chunk: Buffer): void {
  this[kPeer]?.read(chunk);
}
function onSocketEnd(this: PeerSocket): void {
  this[kPeer]?.ended();
}
/** A socket error (reset, write after end…) only ends the connection; 'close' follows. */
function onSocketError(this: PeerSocket): void {
  this.destroy();
}
function onSocketClose(this: PeerSocket): void {
  this[kPeer]?.closed();
}
function destroySocket(socket: Socket): void {
  socket.destroy();
}
