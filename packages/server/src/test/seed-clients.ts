/**
 * @module test/seed-clients
 * The seeds' own clients, reproduced on the wire exactly as their sources behave
 * (shared/reference/seed-protocols.md): the URLs they build, what they send, what they do with
 * each frame. Only their terminal or page rendering is left out; what they would render is kept.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { waitUntil } from './helpers.js';

/** Wait until `list` holds `count` items (bounded). */
export async function collected<T>(list: T[], count: number, what: string, timeoutMs = 5000): Promise<T[]> {
  await waitUntil(() => list.length >= count, timeoutMs, () => `${count} ${what} (have ${list.length}: ${JSON.stringify(list.slice(-3))})`);
  return list;
}

/** Seed 000's `demo-tools/frontend-cli`: one socket, every frame an order row. */
export class Seed000Cli {
  /** Every frame exactly as received. */
  readonly frames: string[] = [];
  /** The table rows it renders: [id, item, "$"+amount]. */
  readonly rows: string[][] = [];
  readonly errors: string[] = [];
  readonly opened: Promise<boolean>;
  readonly closed: Promise<void>;
  readonly ws: WebSocket;

  /** `mode` 1 = auth (signs its own HS256 JWT), 2 = public; `wsUrl` is its WS_URL (…/ws). */
  static async start(wsUrl: string, mode: 'auth' | 'public', channel: string, jwtSecret = 'your-jwt-secret', userId = 'demo-user-123'): Promise<Seed000Cli> {
    const name = channel || 'default';
    if (mode === 'public') return new Seed000Cli(`${wsUrl.replace('/ws', '/ws/public')}?channel=${encodeURIComponent(name)}`);
    const iat = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ sub: userId, name: 'Demo User', iat, exp: iat + 3600 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(jwtSecret));
    return new Seed000Cli(`${wsUrl}?token=${jwt}&channel=${encodeURIComponent(name)}`);
  }

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve) => {
      this.ws.on('open', () => resolve(true));
      this.ws.on('error', (err) => {
        this.errors.push(`WebSocket error: ${err.message}`);
        resolve(false);
      });
    });
    this.closed = new Promise((resolve) => this.ws.on('close', () => resolve()));
    this.ws.on('message', (data) => {
      const text = data.toString();
      this.frames.push(text);
      try {
        const obj = JSON.parse(text) as { id?: unknown; item?: unknown; amount?: unknown };
        this.rows.push([String(obj.id), String(obj.item), `$${String(obj.amount)}`]);
      } catch {
        this.errors.push('Error parsing message:');
      }
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Seed 000's X-API-Token: base64url("<window>:<base64url HMAC-SHA256(window)>"), as its backend simulator makes it. */
export function seed000TimeToken(secret: string, windowSeconds: number, nowMs = Date.now()): string {
  const window = String(Math.floor(nowMs / 1000 / windowSeconds));
  const mac = createHmac('sha256', secret).update(window).digest('base64url');
  return Buffer.from(`${window}:${mac}`).toString('base64url');
}

/** Seed 000's `demo-tools/backend-simulator`: POST an order to API_URL (private) or PUBLISH_URL (public). */
export async function seed000Post(url: string, secret: string, windowSeconds: number, order: unknown, channel: string, target: 'private' | 'public'): Promise<{ status: number; body: string }> {
  const withChannel = target === 'public' || channel !== '' ? `${url}?channel=${encodeURIComponent(channel)}` : url;
  const res = await fetch(withChannel, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Token': seed000TimeToken(secret, windowSeconds) },
    body: JSON.stringify(order),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: await res.text() };
}

export interface Seed001Message {
  id: string;
  channelId: string;
  clientId: string;
  payload: string;
  createdAt: string;
}

/** Seed 001's `web/chat` page: probe with upgrade=0, and only on 200 open the WebSocket with the same clientId. */
export class Seed001Chat {
  readonly received: Seed001Message[] = [];
  readonly clientId = randomUUID();
  ws: WebSocket | undefined;
  probe: { status: number; body: unknown } | undefined;

  constructor(
    readonly httpBase: string,
    readonly channelId: string,
  ) {}

  /** Resolves with whether the socket opened. */
  async connect(): Promise<boolean> {
    const res = await fetch(`${this.httpBase}/api/v1/channels/${this.channelId}?clientId=${this.clientId}&upgrade=0`, { signal: AbortSignal.timeout(5000) });
    this.probe = { status: res.status, body: await res.json() };
    if (res.status !== 200) return false;
    const ws = new WebSocket(`${this.httpBase.replace(/^http/, 'ws')}/api/v1/channels/${this.channelId}?clientId=${this.clientId}`);
    this.ws = ws;
    ws.on('message', (data) => this.received.push(JSON.parse(data.toString()) as Seed001Message));
    return new Promise((resolve) => {
      ws.on('open', () => resolve(true));
      ws.on('error', () => resolve(false));
    });
  }

  /** Enter pressed: the raw text goes as it is. */
  say(text: string): void {
    this.ws!.send(text);
  }

  close(): void {
    this.ws?.terminate();
  }
}

/** Seed 001's `web/notifications` page: an EventSource on the channel, each message parsed and kept. */
export class Seed001Notifications {
  readonly received: Seed001Message[] = [];
  readonly es: EventSource;
  opens = 0;

  constructor(httpBase: string, channelId: string) {
    this.es = new EventSource(`${httpBase}/api/v1/channels/${channelId}?clientId=${randomUUID()}`);
    this.es.onopen = () => this.opens++;
    this.es.onmessage = (e) => this.received.push(JSON.parse(e.data as string) as Seed001Message);
  }

  close(): void {
    this.es.close();
  }
}

/** Seed 002's playground: connect, send the subscribe frame on open, log every frame. */
export class Seed002Playground {
  readonly log: string[] = [];
  readonly frames: Array<Record<string, unknown>> = [];
  readonly ws: WebSocket;
  readonly opened: Promise<boolean>;
  readonly closed: Promise<number>;

  constructor(url: string, channel = 'room1', listen: string[] = ['broadcast']) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve) => {
      this.ws.on('open', () => {
        const subscribe = JSON.stringify({ type: 'subscribe', channel, listen });
        this.ws.send(subscribe);
        this.log.push(`→ ${subscribe}`);
        resolve(true);
      });
      this.ws.on('error', (err) => {
        this.log.push(`error ${err.message}`);
        resolve(false);
      });
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => resolve(code)));
    this.ws.on('message', (data) => {
      this.log.push(`← ${data.toString()}`);
      this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
    });
  }

  /** The frames the README documents (the page itself has no button for them). */
  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  of(type: string): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.type === type);
  }

  close(): void {
    this.ws.terminate();
  }
}
