/**
 * @module delivery-clients
 * The clients of `npm run bench:delivery`: a Herald WebSocket subscriber on the lean raw client
 * (client/raw-ws) that counts the bytes it reads, can stop reading (a slow consumer), and hands
 * message frames as text only to subscribers that look inside them; and a keep-alive publisher.
 */
import { Agent, request } from 'node:http';
import { RawWsClient } from './client/raw-ws.js';
import { HERALD_API_KEY } from './targets.js';

/** The conflation case's keys. */
export const KEYS = Array.from({ length: 20 }, (_, i) => `price:K${i}`);

const MESSAGE = Buffer.from('{"type":"message"');

function isMessage(buf: Buffer, start: number, end: number): boolean {
  return end - start > MESSAGE.length && buf.compare(MESSAGE, 0, MESSAGE.length, start, start + MESSAGE.length) === 0;
}

export class LoadClient extends RawWsClient {
  readonly ready: Promise<void>;
  /** Bytes read from the socket (frames and their headers: what crossed the wire). */
  bytesRead = 0;
  /** Message frames received. */
  messages = 0;
  /** Called with each message frame's text (only set on subscribers that check content). */
  onMessage: ((text: string, nowMs: number) => void) | undefined;
  /** Track the last `seq` seen per `key` (conflation's slow subscribers). */
  keepLatest = false;
  readonly latest = new Map<string, number>();
  keyedMessages = 0;
  closeCode: number | undefined;
  #nextId = 1;
  readonly #replies = new Map<number, (ok: boolean) => void>();
  #connected!: () => void;

  constructor(host: string, port: number, readonly index: number) {
    let failed!: (err: Error) => void;
    super({
      host,
      port,
      path: '/ws',
      handlers: {
        onOpen: () => {},
        onText: (buf, start, end, now) => this.#text(buf, start, end, now),
        onClose: (reason) => {
          const code = /close frame (\d+)/.exec(reason)?.[1];
          if (code) this.closeCode = Number(code);
          failed(new Error(`subscriber ${index} closed: ${reason}`));
          for (const done of this.#replies.values()) done(false);
        },
      },
    });
    this.ready = new Promise((resolve, reject) => {
      this.#connected = resolve;
      failed = reject;
    });
    this.ready.catch(() => {});
  }

  protected override onRead(nread: number, shared: Buffer): void {
    this.bytesRead += nread;
    super.onRead(nread, shared);
  }

  #text(buf: Buffer, start: number, end: number, now: number): void {
    if (isMessage(buf, start, end)) {
      this.messages++;
      if (this.keepLatest) {
        const text = buf.toString('utf8', start, end);
        const key = /"key":"([^"]+)"/.exec(text)?.[1];
        const seq = /"seq":(\d+)/.exec(text)?.[1];
        if (key && seq) {
          this.keyedMessages++;
          this.latest.set(key, Number(seq));
        }
      }
      this.onMessage?.(buf.toString('utf8', start, end), now);
      return;
    }
    const frame = JSON.parse(buf.toString('utf8', start, end)) as { type: string; id?: number; ok?: boolean };
    if (frame.type === 'connected') this.#connected();
    else if (frame.type === 'reply' && frame.id !== undefined) {
      this.#replies.get(frame.id)?.(frame.ok === true);
      this.#replies.delete(frame.id);
    }
  }

  /** Subscribe and wait for the reply; `extra` adds fields (e.g. `delta`). */
  subscribe(channel: string, extra: Record<string, unknown>): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, (ok) => (ok ? resolve() : reject(new Error(`subscriber ${this.index}: subscribe ${channel} refused`))));
      this.sendText(JSON.stringify({ id, type: 'subscribe', channel, ...extra }));
    });
  }

  /** Stop reading: the kernel's buffers fill, then the server's. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

export class HttpPublisher {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** POST /api/publish with `body`; resolves with the status (0 on a transport error). */
  publish(body: string): Promise<number> {
    return new Promise((resolve) => {
      const headers = { authorization: `Bearer ${HERALD_API_KEY}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
      const req = request({ host: this.host, port: this.port, method: 'POST', path: '/api/publish', agent: this.#agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
