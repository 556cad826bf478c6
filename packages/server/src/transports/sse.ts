/**
 * @module transports/sse
 * Server-Sent Events: `GET /sse?channel=a&channel=b`. Each stream is a Connection (the same
 * outbox, limits and slow-consumer cut-off as WebSocket) whose transport writes to the response.
 *
 * A publication is encoded once for every stream (`event:` and `data:` lines); each stream then
 * adds its own `id:` line holding the position of all its channels (transports/cursor), so a
 * browser that reconnects by itself with `Last-Event-ID` resumes every channel where it stopped.
 * Refusals about the request (credentials, channels) are JSON errors before the stream starts;
 * once it has started, an error is one `event: error` and the end of the stream.
 *
 * `presence=a` (repeatable) asks for channel a's presence as on a WebSocket subscribe with
 * `presence: true`: an `event: presence` after its `subscribed`, then `event: join` / `leave`.
 * These carry no `id:` line: they are not positions, so the stream's last event id stays put.
 * `delta=a` (repeatable) turns on delta compression for channel a, as `delta: "fossil"` does on a
 * WebSocket subscribe (docs/protocol.md#delta-compression).
 */
import type { ServerResponse } from 'node:http';
import { CloseCode, ErrorCode, type ServerFrame, type StreamPosition, type SubscribedFrame, type SubscribeResult } from '@herald/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { originAllowed, type ClientAuthenticator, type ClientIdentity } from '../auth/client.js';
import { TokenReason } from '../auth/jwt.js';
import type { Publication } from '../broker/broker.js';
import { checkChannels, checkPresenceNamespace } from '../connection/channel-checks.js';
import { Connection, type ConnectionContext } from '../connection/connection.js';
import { parseServerSince, serverChannels } from '../connection/server-subscriptions.js';
import type { FrameEncoder, Transport } from '../connection/transport.js';
import type { MessageForm } from '../hub/subscriber.js';
import { HeraldError } from '../errors.js';
import { formatPosition, parseCursor, type Positions } from './cursor.js';
import { queryChannels, queryList, queryParam } from './query.js';
import { messageJson, presenceEventFrame } from './message.js';
import { SpreadMap, visitSpread } from './spread.js';
import { onceDrained } from './drain.js';

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: a compressing proxy would otherwise hold events back to fill its buffers.
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};
const HEARTBEAT = Buffer.from(':\n\n');
/** After the last event, how long a peer that does not read gets before its socket is cut. */
const CLOSE_GRACE_MS = 5_000;

/** What ends a stream, as the error code of its final `event: error` (WebSocket: the close code). */
const CLOSE_ERRORS: Partial<Record<number, ErrorCode>> = {
  [CloseCode.ServiceRestart]: ErrorCode.ShuttingDown,
  [CloseCode.TryAgainLater]: ErrorCode.Unavailable,
  [CloseCode.SlowConsumer]: ErrorCode.SlowConsumer,
  [CloseCode.RateLimited]: ErrorCode.RateLimited,
};

export const encoder: FrameEncoder = {
  // No blank line: the stream's own `id:` line (SseTransport.trailer) follows and ends the event.
  message: (p: Publication, form?: MessageForm) => Buffer.from(`${eventLine(p.event)}data: ${messageJson(p, form)}\n`),
  // Complete events without an `id:` line: they do not move the stream's position.
  frame: frameEvent,
  event: (event) => frameEvent(presenceEventFrame(event)),
};

function frameEvent(frame: ServerFrame): Buffer {
  return Buffer.from(`event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`);
}

/** Per channel of the stream, whether a `param` parameter (`presence`, `delta`) names it. */
function channelFlags(query: unknown, param: string, names: readonly string[]): boolean[] {
  const wanted = new Set(queryList(query, param));
  for (const name of wanted) {
    if (!names.includes(name)) throw new HeraldError(ErrorCode.BadRequest, `${param}=${name} is not among the stream's channels: add channel=${name}`);
  }
  return names.map((name) => wanted.has(name));
}

/** A publisher's event name as the SSE event type; a name that would break the line is left out (the data still has it). */
function eventLine(event: string | undefined): string {
  return event === undefined || /[\r\n]/.test(event) ? '' : `event: ${event}\n`;
}

class SseTransport implements Transport {
  readonly name = 'sse' as const;
  readonly encoder = encoder;
  readonly #index: Map<string, number>;
  /** Each channel's entry of the stream id, kept formatted: a delivery re-formats only its own. */
  readonly #entries: string[];
  #graceTimer: NodeJS.Timeout | undefined;

  /** Starts the stream; `headers` set on the request before (e.g. CORS) are kept. */
  constructor(
    readonly res: ServerResponse,
    headers: Record<string, number | string | string[] | undefined>,
    channels: readonly string[],
    since: Positions,
    readonly retryMs: number,
  ) {
    this.#index = new Map(channels.map((name, i) => [name, i]));
    this.#entries = since.map(formatPosition);
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, HEADERS);
    res.write(`retry: ${retryMs}\n\n`);
    res.on('close', () => clearTimeout(this.#graceTimer));
  }

  write(data: Buffer): void {
    if (this.res.writableEnded) return;
    this.res.write(data);
    // Node corks a response's socket until the next tick; hand the bytes to the kernel now (one
    // writev with the chunk framing), so bufferedBytes() counts only what the peer has not taken.
    this.res.socket?.uncork();
  }

  bufferedBytes(): number {
    return this.res.writableLength;
  }

  onceDrained(listener: () => void): void {
    onceDrained(this.res, listener);
  }

  trailer(p: Publication): Buffer {
    return this.#id(p.channel, p);
  }

  /** The `subscribed` event of one channel, whose id carries that channel's starting position. */
  subscribed(channel: string, result: SubscribeResult, server = false): Buffer {
    const frame: SubscribedFrame = server ? { type: 'subscribed', channel, ...result, server: true } : { type: 'subscribed', channel, ...result };
    // A recovering channel keeps its old position in the id until the missed messages move it;
    // a browser that drops right now must resume before them, not after.
    return Buffer.concat([Buffer.from(`event: subscribed\ndata: ${JSON.stringify(frame)}\n`), this.#id(channel, result.recovered === true ? undefined : result)]);
  }

  #id(channel: string, position: StreamPosition | undefined): Buffer {
    if (position) this.#entries[this.#index.get(channel)!] = formatPosition(position);
    return Buffer.from(`id: ${this.#entries.join(',')}\n\n`);
  }

  close(code: number, reason: string): void {
    if (this.res.writableEnded) return;
    if (code !== CloseCode.Normal) {
      // Spread the reconnects of a node that sends everyone away at once.
      const retry = code === CloseCode.ServiceRestart || code === CloseCode.TryAgainLater ? `retry: ${this.retryMs + Math.floor(Math.random() * this.retryMs)}\n` : '';
      const error =
        code === CloseCode.TokenExpired || code === CloseCode.Unauthorized
          ? new HeraldError(ErrorCode.Unauthorized, reason, code === CloseCode.TokenExpired ? TokenReason.Expired : TokenReason.Invalid)
          : new HeraldError(CLOSE_ERRORS[code] ?? (code >= CloseCode.ServerReconnect && code <= 4999 ? ErrorCode.Forbidden : ErrorCode.Internal), reason);
      this.res.write(`${retry}${encoder.frame({ type: 'error', error: error.toBody() }).toString()}`);
    }
    this.res.end();
    this.#graceTimer = setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS).unref();
  }
}

export interface SseOptions {
  context: ConnectionContext;
  authenticate: ClientAuthenticator;
  allowedOrigins: readonly string[];
  heartbeatSeconds: number;
  retryMs: number;
  maxConnections: number;
  /** Streaming connections open on this node, all transports together. */
  connections(): number;
}

export interface SseEndpoint {
  /** The `GET /sse` route handler. */
  handle(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  readonly connections: number;
  /** End every stream with an `event: error` for `code` and resolve when all are gone (or cut after `timeoutMs`). */
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

export function createSseEndpoint(options: SseOptions): SseEndpoint {
  const { context } = options;
  const live = new SpreadMap<Connection, ServerResponse>();

  // One timer for all streams; the comment goes through the outbox like any frame.
  const heartbeat = visitSpread(live, options.heartbeatSeconds * 1000, (connection) => context.hub.queue(connection, HEARTBEAT));

  function fail(connection: Connection, err: unknown): void {
    if (connection.closed) return;
    if (err instanceof HeraldError && err.code !== ErrorCode.Unavailable && err.code !== ErrorCode.Internal) {
      // A refusal after the stream started (e.g. by the subscribe hook): its own code, then the end.
      context.hub.queue(connection, encoder.frame({ type: 'error', error: err.toBody() }));
      return connection.close(CloseCode.Normal, err.message);
    }
    const unavailable = err instanceof HeraldError && err.code === ErrorCode.Unavailable;
    if (!unavailable) context.log.error({ err, client: connection.id }, 'sse subscribe failed');
    connection.close(unavailable ? CloseCode.TryAgainLater : CloseCode.InternalError, unavailable ? err.message : 'internal error');
  }

  /**
   * The connection's server-side channels (token `channels` claim, connect hook, personal channel)
   * follow the ones the stream asked for; those it asked for itself, or that SSE cannot serve
   * (unknown namespace, transport not allowed), are left out.
   */
  function sseServerChannels(identity: ClientIdentity, asked: readonly string[]): string[] {
    return serverChannels(identity, context.personalNamespace).filter((name) => {
      if (asked.includes(name)) return false;
      try {
        return context.channels.resolve(name).options.transports.includes('sse');
      } catch {
        return false;
      }
    });
  }

  /**
   * Each channel's position: from `Last-Event-ID` (a browser's covers every channel of the stream),
   * or, when it covers only the channels asked for (the SDK's), the server-side ones from `since`
   * (a JSON object, as on WebSocket).
   */
  function streamSince(req: FastifyRequest, askedCount: number, names: readonly string[]): Positions {
    const header = req.headers['last-event-id'];
    const lastEventId = typeof header === 'string' ? header : queryParam(req.query, 'last_event_id');
    const own = lastEventId && names.length > askedCount && lastEventId.split(',').length === askedCount ? askedCount : names.length;
    const parsed = parseCursor(lastEventId, own, 'Last-Event-ID');
    const serverSince = parseServerSince(queryParam(req.query, 'since'));
    return names.map((name, i) => parsed[i] ?? serverSince.get(name));
  }

  return {
    async handle(req, reply) {
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) throw new HeraldError(ErrorCode.Forbidden, 'origin not allowed');
      const identity = await options.authenticate(req.raw, 'sse');
      const asked = queryList(req.query, 'channel');
      const serverSide = sseServerChannels(identity, asked);
      const names = [...asked, ...serverSide];
      // No channel at all: queryChannels refuses the request with its "name at least one channel".
      if (names.length === 0) queryChannels(req.query);
      const presence = channelFlags(req.query, 'presence', names);
      const delta = channelFlags(req.query, 'delta', names);
      const since = streamSince(req, asked.length, names);
      const channels = checkChannels(context, 'sse', names);
      const watched = channels.filter((_, i) => presence[i]);
      watched.forEach(checkPresenceNamespace);
      // Refusals are JSON with a status while that is still possible, i.e. before the stream.
      // Server-side channels are trusted (connection/server-subscriptions.ts): no permission check.
      await Promise.all(channels.slice(0, asked.length).map((channel) => context.access.checkSubscribe(identity, channel, undefined)));
      for (const channel of watched) context.access.checkPresence(identity, channel, true);
      // The client may have gone while credentials were checked (a JWKS fetch can take a while).
      if (req.raw.socket.destroyed) return void reply.hijack();

      reply.hijack();
      const transport = new SseTransport(reply.raw, reply.getHeaders(), names, since, options.retryMs);
      // The node's state is answered on the stream so that EventSource retries by itself.
      if (!context.accepting()) return transport.close(CloseCode.ServiceRestart, 'node is shutting down; reconnect');
      if (options.connections() >= options.maxConnections) return transport.close(CloseCode.TryAgainLater, 'node is at its connection limit; retry later');

      const connection = new Connection(context, transport, identity, context.addressOf(req.raw));
      live.set(connection, reply.raw);
      reply.raw.on('close', () => {
        live.delete(connection);
        connection.transportClosed();
      });
      if (!(await connection.admit())) return;
      channels.forEach((channel, i) => {
        const server = i >= asked.length;
        const onResult = (result: SubscribeResult) => context.hub.queue(connection, transport.subscribed(channel.name, result, server));
        connection.subscribe(channel.name, since[i], onResult, { presence: presence[i], server, ...(delta[i] ? { delta: 'fossil' as const } : {}) }).catch((err: unknown) => fail(connection, err));
      });
    },
    get connections() {
      return live.size;
    },
    async closeAll(code, reason, timeoutMs) {
      clearInterval(heartbeat);
      const closing = [...live].map(
        ([connection, res]) => new Promise<void>((resolve) => {
          res.once('close', () => resolve());
          connection.close(code, reason);
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(closing), timeout]);
      clearTimeout(timer);
      for (const res of live.values()) res.destroy();
    },
  };
}
