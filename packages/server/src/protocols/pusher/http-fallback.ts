/**
 * @module protocols/pusher/http-fallback
 * pusher-js's HTTP fallbacks, `xhr_streaming` and `xhr_polling`: the SockJS-style session
 * protocol pusher-js speaks when it cannot open a WebSocket. A session is
 * `/pusher/app/{key}/{server}/{session}`; the client POSTs
 *   `…/xhr_streaming` — one long response, a line per chunk (Herald's SSE stream in another framing),
 *   `…/xhr`           — one answer per request, held until there is something (Herald's long-poll),
 *   `…/xhr_send`      — its own frames, a JSON array of frame strings (`[]` is a heartbeat).
 * Lines are `o` (open), `a["<frame>",…]` (frames), `h` (heartbeat), `c[code,"reason"]` (close).
 *
 * The session carries the same `PusherConnection` as the WebSocket (subscribe, auth, presence,
 * client events, sign-in): only the bytes' framing differs, and it is built once per publication
 * for every HTTP session, as the WebSocket's is. Between two requests of a session its frames
 * wait in the session; a session without a request for SESSION_GRACE_MS is gone (the client
 * went away), and so are its subscriptions and presence.
 *
 * A session lives on the node that opened it: behind a balancer, route `/pusher/` by session
 * (deploy/nginx.conf hashes the session path).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originAllowed } from '../../auth/client.js';
import { SpreadMap, visitSpread } from '../../transports/spread.js';
import type { PusherApp, PusherApps } from './apps.js';
import { createPusherEncoder } from './codec.js';
import { PusherConnection, type PusherContext, type PusherSocket } from './connection.js';

/** Where pusher-js sends its HTTP transports (its `httpPath` option; `/pusher` unless changed). */
export const FALLBACK_PREFIX = '/pusher/app/';
/** SockJS's heartbeat period: a line on every idle stream, an `h` answer to an idle poll. */
const HEARTBEAT_MS = 25_000;
/** How long a session may be without a request before it counts as gone (SockJS's disconnect delay: polls arrive back to back). */
const SESSION_GRACE_MS = 5_000;
/** pusher-js's server id (`rand(1000)`) and session (8 base-32 characters); a little leeway. */
const SESSION_PART = /^[A-Za-z0-9_-]{1,32}$/;

const OPEN = Buffer.from('o\n');
const HEARTBEAT = Buffer.from('h\n');
/** Each frame its own `a[…]` line: lines concatenate, so one encoding serves every session. */
const encoder = createPusherEncoder((json) => Buffer.from(`a${JSON.stringify([json])}\n`));

function closeLine(code: number, reason: string): Buffer {
  return Buffer.from(`c${JSON.stringify([code, reason.slice(0, 120)])}\n`);
}

type Mode = 'streaming' | 'polling';

/** One pusher-js HTTP session: a PusherSocket whose bytes go to whichever request is open. */
class Session implements PusherSocket {
  readonly encoder = encoder;
  connection!: PusherConnection;
  #res: ServerResponse | undefined;
  #mode: Mode = 'streaming';
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The close line, once closed: what any later request of the session gets. */
  #closed: Buffer | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #hold: NodeJS.Timeout | undefined;

  constructor(
    readonly headers: Record<string, string>,
    readonly onGone: (session: Session) => void,
  ) {
    this.#expire();
  }

  write(data: Buffer): void {
    if (this.#res && this.#mode === 'streaming') {
      this.#res.write(data);
      return;
    }
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#res) this.#answer();
  }

  bufferedBytes(): number {
    return this.#pendingBytes + (this.#res?.writableLength ?? 0);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = closeLine(code, reason);
    this.write(this.#closed);
    if (this.#res && this.#mode === 'streaming') this.#res.end();
    // The close line waits for the next poll, if one comes; the session is gone either way.
    this.#expire();
  }

  /** A receive request of this session: it now gets the session's bytes. */
  attach(res: ServerResponse, mode: Mode, first: boolean): void {
    this.#detach();
    this.#res = res;
    this.#mode = mode;
    clearTimeout(this.#expiry);
    res.writeHead(200, this.headers);
    res.on('close', () => {
      if (this.#res !== res) return;
      this.#detach();
      this.#expire();
    });
    if (first) {
      res.write(OPEN);
      // pusher-js takes `o` alone as a poll's answer; its frames come with the next poll.
      if (mode === 'polling') return this.#finish();
    }
    if (this.#closed) {
      res.write(this.#pendingBytes > 0 ? this.#take() : this.#closed);
      this.#finish();
    } else if (mode === 'streaming') {
      if (this.#pendingBytes > 0) res.write(this.#take());
    } else if (this.#pendingBytes > 0) {
      this.#answer();
    } else {
      this.#hold = setTimeout(() => {
        res.write(HEARTBEAT);
        this.#finish();
      }, HEARTBEAT_MS);
    }
  }

  /** An idle stream's heartbeat (the client answers it with `[]`, which keeps the session alive both ways). */
  heartbeat(): void {
    if (this.#res && this.#mode === 'streaming' && this.#pendingBytes === 0) this.#res.write(HEARTBEAT);
  }

  /** Ends the open request, if any, now (shutdown). */
  destroy(): void {
    this.#res?.destroy();
    this.#gone();
  }

  #answer(): void {
    this.#res!.write(this.#take());
    this.#finish();
  }

  #take(): Buffer {
    const data = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    return data;
  }

  /** End a poll's answer; the session waits for the next poll. */
  #finish(): void {
    const res = this.#res;
    this.#detach();
    res?.end();
    this.#expire();
  }

  #detach(): void {
    clearTimeout(this.#hold);
    const res = this.#res;
    this.#res = undefined;
    // A stream replaced by a newer request of the same session (pusher-js reopens one that grew long).
    if (res && !res.writableEnded) res.end();
  }

  #expire(): void {
    clearTimeout(this.#expiry);
    this.#expiry = setTimeout(() => this.#gone(), this.#closed ? 1_000 : SESSION_GRACE_MS).unref();
  }

  #gone(): void {
    clearTimeout(this.#expiry);
    clearTimeout(this.#hold);
    this.onGone(this);
  }
}

/** Who may open a Pusher connection, shared with the WebSocket endpoint: the same refusals and per-app counts. */
export interface PusherAdmission {
  readonly apps: PusherApps;
  /** The app of `key` and why it cannot be served now (undefined: it can). */
  check(key: string, req: IncomingMessage): { app?: PusherApp; refused?: [number, string] };
  /** Count a connection of `app` until the returned function is called. */
  opened(app: PusherApp): () => void;
}

export interface PusherFallbackOptions {
  context: PusherContext;
  admission: PusherAdmission;
  activityTimeoutSeconds: number;
  /** Largest `xhr_send` body. */
  maxBodyBytes: number;
}

export interface PusherFallbackEndpoint {
  register(app: FastifyInstance): void;
  readonly connections: number;
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

interface RouteParams {
  key: string;
  server: string;
  session: string;
  kind: string;
}

/** CORS for the page that runs pusher-js: its origin, when the app allows it. */
function corsHeaders(origin: string | undefined): Record<string, string> {
  return origin ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' } : {};
}

export function createPusherFallbackEndpoint(options: PusherFallbackOptions): PusherFallbackEndpoint {
  const { context } = options;
  const sessions = new SpreadMap<string, Session>();
  const { admission } = options;
  const heartbeat = visitSpread(sessions, HEARTBEAT_MS, (_id, session) => session.heartbeat());

  function open(id: string, req: IncomingMessage, res: ServerResponse, mode: Mode, headers: Record<string, string>, key: string): void {
    const { app, refused } = admission.check(key, req);
    if (refused || !app) {
      res.writeHead(200, headers);
      const [code, message] = refused ?? [4001, 'App key does not exist'];
      res.end(Buffer.concat([OPEN, encoder.frame('pusher:error', { code, message }), closeLine(code, message)]));
      return;
    }
    const closed = admission.opened(app);
    const session = new Session(headers, (gone) => {
      if (sessions.get(id) !== gone) return;
      sessions.delete(id);
      closed();
      gone.connection.transportClosed();
    });
    session.connection = new PusherConnection(context, app, session);
    sessions.set(id, session);
    session.attach(res, mode, true);
    session.connection.established(options.activityTimeoutSeconds);
  }

  async function handle(req: FastifyRequest<{ Params: RouteParams }>, reply: FastifyReply): Promise<unknown> {
    const { key, server, session, kind } = req.params;
    const origin = req.headers.origin;
    const app = admission.apps.byKey(key);
    const cors = app && originAllowed(origin, app.allowed_origins) ? corsHeaders(origin) : {};
    if (!SESSION_PART.test(server) || !SESSION_PART.test(session)) return reply.code(404).headers(cors).send();
    const id = `${key}/${server}/${session}`;
    const existing = sessions.get(id);
    if (kind === 'xhr_send') {
      if (!existing) return reply.code(404).headers(cors).send();
      let frames: unknown;
      try {
        frames = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        frames = undefined;
      }
      if (!Array.isArray(frames) || !frames.every((f) => typeof f === 'string')) {
        return reply.code(400).headers(cors).type('text/plain').send('expected a JSON array of frame strings');
      }
      // The WebSocket's frame limit, per frame (a larger WebSocket frame is refused by `ws`).
      if ((frames as string[]).some((f) => Buffer.byteLength(f) > context.limits.max_frame_bytes)) {
        return reply.code(413).headers(cors).type('text/plain').send(`a frame may have at most ${context.limits.max_frame_bytes} bytes`);
      }
      for (const frame of frames as string[]) existing.connection.handleText(frame);
      return reply.code(204).headers(cors).send();
    }
    if (kind !== 'xhr_streaming' && kind !== 'xhr') return reply.code(404).headers(cors).send();
    reply.hijack();
    const headers = { 'content-type': 'application/javascript; charset=UTF-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', ...cors };
    const mode: Mode = kind === 'xhr' ? 'polling' : 'streaming';
    if (existing) existing.attach(reply.raw, mode, false);
    else open(id, req.raw, reply.raw, mode, headers, key);
    return reply;
  }

  return {
    register(app) {
      void app.register(async (scope) => {
        // pusher-js sends `Content-Type: application/json` on every request, bodiless ones too: the body is read as text here.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_req, body, done) => done(null, body));
        scope.post(`${FALLBACK_PREFIX}:key/:server/:session/:kind`, handle);
        scope.options(`${FALLBACK_PREFIX}:key/:server/:session/:kind`, async (req: FastifyRequest<{ Params: RouteParams }>, reply) => {
          const app = admission.apps.byKey(req.params.key);
          const origin = req.headers.origin;
          if (!app || !originAllowed(origin, app.allowed_origins)) return reply.code(403).send();
          return reply
            .code(204)
            .headers({ ...corsHeaders(origin), 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' })
            .send();
        });
      });
    },
    get connections() {
      return sessions.size;
    },
    async closeAll(code, reason, timeoutMs) {
      clearInterval(heartbeat);
      for (const session of sessions.values()) session.connection.close(code, reason);
      // Streams got their close line; a poller gets it with its next poll, if that comes soon.
      const deadline = Date.now() + Math.min(timeoutMs, 2_000);
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const session of sessions.values()) session.destroy();
    },
  };
}
