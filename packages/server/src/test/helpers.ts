/**
 * @module test/helpers
 * Real servers on 127.0.0.1:0 and real WebSocket clients for the tests. Nothing is mocked.
 */
import { connect } from 'node:net';
import type { MessageFrame, ServerFrame } from '@herald/protocol';
import { pino, type Logger } from 'pino';
import { WebSocket } from 'ws';
import { loadConfig } from '../config/load.js';
import { createHerald, type Herald, type HeraldOptions } from '../server.js';
import { SignJWT } from 'jose';

export const API_KEY = 'test-api-key-0123456789';

export interface TestServer {
  herald: Herald;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Start a node with test defaults plus `config` (same shape as the YAML file). */
export async function startServer(config: Record<string, unknown> = {}, options: HeraldOptions = {}): Promise<TestServer> {
  const base: Record<string, unknown> = {
    server: { host: '127.0.0.1', port: 0, shutdown_timeout_seconds: 2 },
    auth: { api_keys: [API_KEY] },
    log: { level: 'silent' },
  };
  const merged = deepMerge(base, config);
  const herald = createHerald(loadConfig({ object: merged, env: {} }), { logger: pino({ level: 'silent' }), ...options });
  const { port } = await herald.start();
  return { herald, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, close: () => herald.close() };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function api(server: TestServer, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string | Uint8Array } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${API_KEY}`, ...init.headers };
  let body: string | Uint8Array | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(server.url + path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as Record<string, unknown> & { error?: { code: string; message: string } }, headers: res.headers };
}

export function publish(server: TestServer, channel: string, data: unknown, event?: string) {
  return api(server, '/api/publish', { body: event === undefined ? { channel, data } : { channel, data, event } });
}

type Predicate = (frame: ServerFrame) => boolean;

/** A WebSocket client that records every frame and lets a test wait for the ones it expects. */
export class TestClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  #nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  }

  /** Open a socket without waiting for `connected` (to see a refusal's frames and close). */
  static open(url: string, headers: Record<string, string> = {}): TestClient {
    return new TestClient(new WebSocket(url, { headers }));
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers });
    const client = new TestClient(ws);
    await client.waitFor((f) => f.type === 'connected');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Send a command with a fresh id and wait for its reply. */
  async request(command: Record<string, unknown>, timeoutMs = 5000): Promise<ServerFrame & { type: 'reply' }> {
    return this.requestRaw((id) => JSON.stringify({ ...command, id }), timeoutMs);
  }

  /** Send the text `frame(id)` makes with a fresh id (JSON a serialiser would not write) and wait for its reply. */
  async requestRaw(frame: (id: number) => string, timeoutMs = 5000): Promise<ServerFrame & { type: 'reply' }> {
    const id = this.#nextId++;
    this.send(frame(id));
    return (await this.waitFor((f) => f.type === 'reply' && f.id === id, timeoutMs)) as ServerFrame & { type: 'reply' };
  }

  async subscribe(channel: string, since?: { offset: number; epoch: string }) {
    const reply = await this.request(since ? { type: 'subscribe', channel, since } : { type: 'subscribe', channel });
    if (!('ok' in reply)) throw new Error(`subscribe ${channel} failed: ${JSON.stringify(reply)}`);
    return reply.result as { offset: number; epoch: string; recovered?: boolean; reason?: string };
  }

  messages(channel?: string): MessageFrame[] {
    return this.frames.filter((f): f is MessageFrame => f.type === 'message' && (channel === undefined || f.channel === channel));
  }

  async waitForMessages(count: number, channel?: string, timeoutMs = 5000): Promise<MessageFrame[]> {
    await this.#until(() => this.messages(channel).length >= count, timeoutMs, `${count} messages${channel ? ` on ${channel}` : ''} (have ${this.messages(channel).length})`);
    return this.messages(channel);
  }

  async waitFor(predicate: Predicate, timeoutMs = 5000): Promise<ServerFrame> {
    let found: ServerFrame | undefined;
    await this.#until(() => (found = this.frames.find(predicate)) !== undefined, timeoutMs, 'a matching frame');
    return found!;
  }

  #until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-3))}`));
      }, timeoutMs);
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** An HS256 client token for `sub`, valid for an hour, with extra claims (e.g. `herald` permissions). */
export function signJwt(secret: string, sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub, ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
}

/** Client SDK reconnect backoff for tests: retries within milliseconds, not seconds. */
export const FAST_BACKOFF = { initialMs: 10, maxMs: 100, factor: 2 };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger at the most verbose level whose every line is kept, to check what Herald logs. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** Whether `secret` is in captured log output: as text, or as the byte list of a serialised Buffer. */
export function leaks(log: string, secret: string): boolean {
  return log.includes(secret) || log.includes(Buffer.from(secret).join(','));
}

/** Send raw bytes over TCP and resolve with everything the server answered before it closed. */
export function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Open a WebSocket and resolve with how it ended: the `connected` frame, or a close code. */
export function connectOutcome(url: string, headers: Record<string, string> = {}): Promise<{ connected: boolean; code?: number; reason?: string; client?: TestClient }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => {});
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as ServerFrame).type === 'connected') {
        ws.close();
        resolve({ connected: true });
      }
    });
    ws.on('close', (code, reason) => resolve({ connected: false, code, reason: reason.toString() }));
    ws.on('unexpected-response', (_req, res) => resolve({ connected: false, code: res.statusCode }));
  });
}

/** Poll `check` every few ms until it returns something other than undefined/false, or fail after `timeoutMs`. */
export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(10);
  }
}

/**
 * A near-empty environment for a child process under test, so that no setting of the machine leaks
 * into it; it keeps PATH and the run's marker (scripts/test.sh), by which the run finds any child
 * left running at its end.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HERALD_TEST_RUN: process.env.HERALD_TEST_RUN, ...extra };
}
