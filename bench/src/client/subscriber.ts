/**
 * @module client/subscriber
 * One benchmark subscriber: a RawWsClient (or, for Herald's SSE endpoint, a RawSseClient) plus
 * the few control exchanges each server needs before deliveries flow (Herald: subscribe and
 * wait for the reply; Herald SSE: the `subscribed` event; Socket.IO: engine.io open, `40`
 * connect, ping `2` → `3`; naive ws: nothing). Deliveries of every protocol carry the
 * publisher's data object verbatim, so one byte scan for `"bs":` finds them all (in a WebSocket
 * text frame or an SSE `data:` line alike) and the control paths, which may use JSON.parse,
 * never run per delivery.
 */
import { RawSseClient } from './raw-sse.js';
import { RawWsClient } from './raw-ws.js';

export type Protocol = 'herald' | 'herald-sse' | 'herald-pusher' | 'naive' | 'socketio';

/** The channel every server under test publishes on. */
export const CHANNEL = 'bench';
/** Key of the Pusher app the `herald-pusher` target configures (targets.ts). */
export const PUSHER_KEY = 'bench-app-key';

/** Request target of each protocol's one long-lived connection. */
export const PATHS: Record<Protocol, string> = {
  herald: '/ws',
  'herald-sse': `/sse?channel=${CHANNEL}`,
  // What pusher-js 8 opens.
  'herald-pusher': `/app/${PUSHER_KEY}?protocol=7&client=js&version=8.6.0&flash=false`,
  naive: '/',
  socketio: '/socket.io/?EIO=4&transport=websocket',
};

/** Receives parsed deliveries; implemented by the recorder. */
export interface DeliverySink {
  /** Subscriber `sub` got publication `seq`, published at `sentUs`, arriving at `nowMs`. */
  deliver(sub: number, seq: number, sentUs: number, nowMs: number): void;
  /** A frame that looked like a delivery but could not be parsed. */
  malformed(sub: number): void;
}

export interface SubscriberEvents {
  ready(sub: number): void;
  failed(sub: number, reason: string): void;
  closed(sub: number, reason: string): void;
}

// Byte patterns, pre-encoded once.
const BS = Buffer.from('"bs":');
const BT = Buffer.from('"bt":');
const CH_0 = 0x30;
const CH_2 = 0x32;
const CH_4 = 0x34;
const CH_9 = 0x39;
const CH_MINUS = 0x2d;

/**
 * Position of `"bs":` in buf[start, end), or -1. A plain loop beats Buffer#indexOf here: the
 * key sits ~60 bytes in, and indexOf's native call costs more than scanning that far in JIT
 * code (it was the generator's largest single cost in a profile).
 */
function findSeqKey(buf: Buffer, start: number, end: number): number {
  for (let i = start, last = end - 5; i <= last; i++) {
    if (buf[i] === 0x22 && buf[i + 1] === 0x62 && buf[i + 2] === 0x73 && buf[i + 3] === 0x22 && buf[i + 4] === 0x3a) return i;
  }
  return -1;
}

/** Position of `\"bs\":` in buf[start, end), or -1: in a Pusher frame the data object is a JSON string, its quotes escaped. */
function findEscapedSeqKey(buf: Buffer, start: number, end: number): number {
  for (let i = start, last = end - 7; i <= last; i++) {
    if (buf[i] === 0x5c && buf[i + 1] === 0x22 && buf[i + 2] === 0x62 && buf[i + 3] === 0x73 && buf[i + 4] === 0x5c && buf[i + 5] === 0x22 && buf[i + 6] === 0x3a) return i;
  }
  return -1;
}

/** Parses a non-negative decimal integer at buf[pos..end); returns -1 if there is none. */
function readUint(buf: Buffer, pos: number, end: number): number {
  let v = 0;
  let digits = 0;
  while (pos < end) {
    const c = buf[pos++]!;
    if (c < CH_0 || c > CH_9) break;
    // Timestamps are ~1.8e15 µs: below 2^53, so plain double arithmetic stays exact.
    v = v * 10 + (c - CH_0);
    digits++;
  }
  return digits ? v : -1;
}

export class Subscriber {
  private readonly ws: RawWsClient | RawSseClient;
  private isReady = false;

  constructor(
    readonly index: number,
    readonly protocol: Protocol,
    host: string,
    port: number,
    private readonly sink: DeliverySink,
    private readonly events: SubscriberEvents,
    /** The channel a Herald WebSocket subscriber subscribes to (bench:channels gives each its own). */
    private readonly channel = CHANNEL,
  ) {
    const onClose = (reason: string): void => {
      if (this.isReady) this.events.closed(this.index, reason);
      else this.events.failed(this.index, reason);
    };
    if (protocol === 'herald-sse') {
      // Subscribed by the request itself; ready at the stream's `subscribed` event.
      this.ws = new RawSseClient({
        host,
        port,
        path: PATHS[protocol],
        handlers: { onOpen: () => {}, onData: (buf, start, end, now) => this.onText(buf, start, end, now), onClose },
      });
      return;
    }
    this.ws = new RawWsClient({
      host,
      port,
      path: PATHS[protocol],
      handlers: {
        onOpen: () => {
          // The naive server has no handshake of its own: an open socket is a subscriber.
          if (protocol === 'naive') this.markReady();
        },
        onText: (buf, start, end, now) => this.onText(buf, start, end, now),
        onClose,
      },
    });
  }

  get ready(): boolean {
    return this.isReady && this.ws.open;
  }

  close(): void {
    this.ws.close();
  }

  private markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.events.ready(this.index);
  }

  private onText(buf: Buffer, start: number, end: number, now: number): void {
    if (this.protocol === 'herald-pusher') return this.onPusherText(buf, start, end, now);
    const bs = findSeqKey(buf, start, end);
    if (bs >= 0) {
      const seq = readUint(buf, bs + BS.length, end);
      let bt = bs + BS.length;
      // The publisher writes "bt" right after "bs"; every server keeps key order.
      while (bt < end && buf[bt] !== 0x2c /* , */) bt++;
      bt += 1;
      if (!(buf[bt] === BT[0] && buf[bt + 1] === BT[1] && buf[bt + 2] === BT[2])) {
        const found = buf.indexOf(BT, start);
        bt = found >= 0 && found < end ? found : -1;
      }
      const sent = bt >= 0 && buf[bt + BT.length] !== CH_MINUS ? readUint(buf, bt + BT.length, end) : -1;
      if (seq < 0 || sent < 0) this.sink.malformed(this.index);
      else this.sink.deliver(this.index, seq, sent, now);
      return;
    }
    this.onControl(buf, start, end);
  }

  /** A Pusher frame: a delivery carries `\"bs\":<seq>,\"bt\":<µs>` inside its `data` string. */
  private onPusherText(buf: Buffer, start: number, end: number, now: number): void {
    const bs = findEscapedSeqKey(buf, start, end);
    if (bs < 0) return this.onPusherControl(buf, start, end);
    const seq = readUint(buf, bs + 7, end);
    let bt = bs + 7;
    while (bt < end && buf[bt] !== 0x2c /* , */) bt++;
    // `,\"bt\":` follows the sequence number.
    const sent = buf[bt + 1] === 0x5c && buf[bt + 3] === 0x62 && buf[bt + 4] === 0x74 ? readUint(buf, bt + 8, end) : -1;
    if (seq < 0 || sent < 0) this.sink.malformed(this.index);
    else this.sink.deliver(this.index, seq, sent, now);
  }

  /** Pusher handshake, subscription reply, pings and errors. */
  private onPusherControl(buf: Buffer, start: number, end: number): void {
    let frame: { event?: string; data?: string };
    try {
      frame = JSON.parse(buf.toString('utf8', start, end)) as typeof frame;
    } catch {
      return;
    }
    if (frame.event === 'pusher:connection_established') {
      this.wsClient.sendText(JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel: CHANNEL } }));
    } else if (frame.event === 'pusher_internal:subscription_succeeded') {
      this.markReady();
    } else if (frame.event === 'pusher:ping') {
      this.wsClient.sendText('{"event":"pusher:pong","data":{}}');
    } else if ((frame.event === 'pusher:error' || frame.event === 'pusher:subscription_error') && !this.isReady) {
      this.ws.close();
      this.events.failed(this.index, `pusher refused: ${String(frame.data)}`);
    }
  }

  /** Rare frames: handshakes, replies, pings. Allocation here is fine. */
  private onControl(buf: Buffer, start: number, end: number): void {
    if (this.protocol === 'herald-sse') return this.onSseControl(buf, start, end);
    if (this.protocol === 'socketio') {
      const c0 = buf[start];
      if (c0 === CH_2 && end - start === 1) {
        this.wsClient.sendText('3'); // engine.io heartbeat: the server pings, the client pongs
      } else if (c0 === CH_0) {
        this.wsClient.sendText('40'); // engine.io open → connect to the default namespace
      } else if (c0 === CH_4 && buf[start + 1] === CH_0) {
        this.markReady(); // `40{"sid":..}`: namespace connected; io.emit now reaches us
      } else if (c0 === CH_4 && buf[start + 1] === 0x34) {
        this.ws.close();
        this.events.failed(this.index, `socket.io connect error: ${buf.toString('utf8', start, end)}`);
      }
      return;
    }
    if (this.protocol !== 'herald') return;
    let frame: { type?: string; id?: number; ok?: boolean; error?: { code?: string; message?: string } };
    try {
      frame = JSON.parse(buf.toString('utf8', start, end)) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'connected') {
      this.wsClient.sendText(JSON.stringify({ id: 1, type: 'subscribe', channel: this.channel }));
    } else if (frame.type === 'reply' && frame.id === 1) {
      if (frame.ok) this.markReady();
      else {
        this.ws.close();
        this.events.failed(this.index, `subscribe refused: ${frame.error?.code ?? '?'} ${frame.error?.message ?? ''}`);
      }
    }
  }

  /** The WebSocket client of a WebSocket protocol (control paths only). */
  private get wsClient(): RawWsClient {
    return this.ws as RawWsClient;
  }

  /** Non-delivery `data:` lines of Herald's SSE stream: `subscribed`, then only `error`. */
  private onSseControl(buf: Buffer, start: number, end: number): void {
    let frame: { type?: string; error?: { code?: string; message?: string } };
    try {
      frame = JSON.parse(buf.toString('utf8', start, end)) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'subscribed') this.markReady();
    else if (frame.type === 'error') {
      const reason = `sse error event: ${frame.error?.code ?? '?'} ${frame.error?.message ?? ''}`;
      this.ws.close();
      if (this.isReady) this.events.closed(this.index, reason);
      else this.events.failed(this.index, reason);
    }
  }
}
