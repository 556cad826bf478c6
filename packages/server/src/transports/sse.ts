/**
 * @module transports/sse
 * Server-Sent Events: `GET /sse?channel=a&channel=b`. Each stream is a Connection (the same
 * outbox, limits and slow-consumer cut-off as WebSocket) whose transport writes to the response.
 *
 * A publication is encoded once for every stream (a complete event: `event:` and `data:` lines);
 * each write of a stream then ends with one `id:` line holding the position of all its channels
 * (transports/cursor), so a browser that reconnects by itself with `Last-Event-ID` resumes every
 * channel where it stopped. The id goes once per write, not per event: EventSource keeps the
 * last id it saw. A connection that breaks in the middle of a write resumes before that write,
 * so its first events may come again (the SDK drops them by offset), never go missing.
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
import { Socket } from 'node:net';
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
import { releaseHttpState } from './sse-release.js';

const HEADERS = [
  'content-type: text/event-stream; charset=utf-8',
  // no-transform: a compressing proxy would otherwise hold events back to fill its buffers.
  'cache-control: no-cache, no-transform',
  'x-accel-buffering: no',
].join('\r\n');
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
  // A complete event without an `id:` line: the stream's id goes once per write (SseTransport).
  message: (p: Publication, form?: MessageForm) => Buffer.from(`${eventLine(p.event)}data: ${messageJson(p, form)}

`),
  // Events that do not move the stream's position.
  frame: frameEvent,
  event: (event) => frameEvent(presenceEventFrame(event)),
};

let lastPosition: StreamPosition | undefined;
let lastFormatted = '';
/**
 * A position as an id entry. A publication reaches every stream of its channel in a row, so the
 * last one formatted is remembered: one encodeURIComponent per publication, not per stream.
 */
function formatted(position: StreamPosition): string {
  if (position !== lastPosition) {
    lastFormatted = formatPosition(position);
    lastPosition = position;
  }
  return lastFormatted;
}

/** After the last event, a peer that does not read is cut (module level: no closure per stream). */
function destroy(socket: Socket): void {
  socket.destroy();
}

/**
 * Fastify's end-of-response listeners hold its request, reply and child logger until the response
 * finishes. A stream is hijacked and never finishes through Fastify (request logging is off and
 * Herald has no onResponse hook, so they would do nothing), yet they would stay for the stream's
 * whole life: about 0.7 KiB per idle stream. Matched by name; if Fastify renames them, they stay.
 */
function releaseFastify(res: ServerResponse): void {
  for (const event of ['finish', 'error'] as const) {
    for (const listener of res.listeners(event)) if (listener.name === 'onResFinished') res.removeListener(event, listener as () => void);
  }
}

/**
 * Node's HTTP server gives each socket its own wrappers of on/addListener/prependListener (so
 * that a later 'data' listener takes the socket back from the HTTP parser), and drops them only
 * with the parser, i.e. never for a stream that keeps it. The stream's listeners need none, so
 * the wrappers go now, as Node does itself once the parser is gone: ~0.3 KiB per idle stream.
 */
function unwrapListeners(socket: Socket): void {
  socket.on = Socket.prototype.on;
  socket.addListener = Socket.prototype.addListener;
  socket.prependListener = Socket.prototype.prependListener;
}

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
  /** Where each channel sits in the id; only kept for streams of several channels. */
  readonly #index: Map<string, number> | undefined;
  /** Each channel's entry of the stream id, kept formatted. */
  readonly #entries: string[];
  /** Set when a position moved since the last id line went out. */
  #idDue = false;
  /** The last queued frame that moved a position: when it ends a write, its event carries the id. */
  #tail: Buffer | undefined;
  /** HTTP/1.0 peers (e.g. a proxy) get the body as is; HTTP/1.1 ones in chunks framed here. */
  readonly #chunked: boolean;
  readonly #socket: Socket;
  #ended = false;

  /**
   * Starts the stream: the response head is written here, straight to the socket, with the
   * headers set on the reply before (e.g. CORS). Node's ServerResponse is left unused, so it
   * keeps no copy of the head for the stream's whole life (memory per idle stream).
   */
  constructor(
    socket: Socket,
    httpVersion: string,
    headers: Record<string, number | string | string[] | undefined>,
    channels: readonly string[],
    since: Positions,
    readonly retryMs: number,
  ) {
    this.#socket = socket;
    this.#index = channels.length > 1 ? new Map(channels.map((name, i) => [name, i])) : undefined;
    this.#entries = since.map(formatPosition);
    this.#chunked = httpVersion !== '1.0';
    let head = 'HTTP/1.1 200 OK\r\n';
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
        // Set by Herald's own code, but a line break would split the head: such a value is left out.
        if (!/[\r\n]/.test(`${name}${v}`)) head += `${name}: ${v}\r\n`;
      }
    }
    // The stream ends with the connection (close()), so an HTTP/1.0 peer reads to its end.
    head += `${HEADERS}\r\n${this.#chunked ? 'transfer-encoding: chunked' : 'connection: close'}\r\n\r\n`;
    socket.write(head, 'latin1');
    this.write(Buffer.from(`retry: ${retryMs}\n\n`));
  }

  queued(frame: Buffer, p: Publication): void {
    this.#move(p.channel, p, frame);
  }

  #move(channel: string, position: StreamPosition, frame: Buffer): void {
    this.#entries[this.#index?.get(channel) ?? 0] = formatted(position);
    this.#idDue = true;
    this.#tail = frame;
  }

  write(data: Buffer): void {
    this.writeFrames([data], data.length);
  }

  /**
   * One socket write per flush, chunk framing included (not ServerResponse.write, whose framing
   * and corking cost more than the copy). The stream's `id:` line goes once, after the last
   * event: EventSource keeps the last id it saw, so a browser that reconnects resumes after
   * everything this write carried. When the last event is the one that moved the position, the
   * id is part of that event, so an event delivered alone still has its own id as `lastEventId`.
   */
  writeFrames(frames: readonly Buffer[], bytes: number): void {
    const socket = this.#socket;
    if (this.#ended || socket.destroyed) return;
    const id = this.#idDue ? `id: ${this.#idValue()}\n\n` : '';
    const attach = id !== '' && frames[frames.length - 1] === this.#tail;
    this.#tail = undefined;
    const body = bytes - (attach ? 1 : 0) + id.length;
    const head = this.#chunked ? `${body.toString(16)}\r\n` : '';
    const out = Buffer.allocUnsafe(head.length + body + (this.#chunked ? 2 : 0));
    let at = out.write(head, 0, 'latin1');
    const last = frames.length - 1;
    for (let i = 0; i < last; i++) at += frames[i]!.copy(out, at);
    // The last frame's blank line is dropped when the id line (and its blank line) ends the event.
    at += frames[last]!.copy(out, at, 0, frames[last]!.length - (attach ? 1 : 0));
    out.write(this.#chunked ? `${id}\r\n` : id, at, 'latin1');
    socket.write(out);
  }

  #idValue(): string {
    this.#idDue = false;
    return this.#entries.length === 1 ? this.#entries[0]! : this.#entries.join(',');
  }

  bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  onceDrained(listener: () => void): void {
    onceDrained(this.#socket, listener);
  }

  /** The `subscribed` event of one channel; the id that follows carries that channel's starting position. */
  subscribed(channel: string, result: SubscribeResult, server = false): Buffer {
    const frame: SubscribedFrame = server ? { type: 'subscribed', channel, ...result, server: true } : { type: 'subscribed', channel, ...result };
    const event = frameEvent(frame);
    // A recovering channel keeps its old position in the id until the missed messages move it;
    // a browser that drops right now must resume before them, not after.
    if (result.recovered !== true) this.#move(channel, result, event);
    return event;
  }

  close(code: number, reason: string): void {
    if (this.#ended) return;
    if (code !== CloseCode.Normal) {
      // Spread the reconnects of a node that sends everyone away at once.
      const retry = code === CloseCode.ServiceRestart || code === CloseCode.TryAgainLater ? `retry: ${this.retryMs + Math.floor(Math.random() * this.retryMs)}\n` : '';
      const error =
        code === CloseCode.TokenExpired || code === CloseCode.Unauthorized
          ? new HeraldError(ErrorCode.Unauthorized, reason, code === CloseCode.TokenExpired ? TokenReason.Expired : TokenReason.Invalid)
          : new HeraldError(CLOSE_ERRORS[code] ?? (code >= CloseCode.ServerReconnect && code <= 4999 ? ErrorCode.Forbidden : ErrorCode.Internal), reason);
      this.write(Buffer.from(`${retry}${encoder.frame({ type: 'error', error: error.toBody() }).toString()}`));
    }
    this.#ended = true;
    // The last chunk, then the end of the connection: the stream was this connection's only response.
    if (this.#chunked) this.#socket.end('0\r\n\r\n');
    else this.#socket.end();
    setTimeout(destroy, CLOSE_GRACE_MS, this.#socket).unref();
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
  const live = new SpreadMap<Socket, Connection>();

  // One timer for all streams; the comment goes through the outbox like any frame.
  const heartbeat = visitSpread(live, options.heartbeatSeconds * 1000, (_, connection) => context.hub.queue(connection, HEARTBEAT));

  // Shared by every stream (`this` is its socket): a closure made in handle() would keep that
  // call's whole scope for the stream's life.
  function onStreamClose(this: Socket): void {
    const connection = live.get(this);
    live.delete(this);
    connection?.transportClosed();
  }

  /**
   * A released stream's client sent bytes, or ended its side (sse-release.ts: nothing parses them
   * any more). After an SSE request a client has nothing to say but a pipelined request, which
   * could never be answered: the stream never ends by itself. So the stream ends, as a normal
   * close, and the client retries the request on another connection (an HTTP/1.1 client must for
   * a request left unanswered on a closed connection); EventSource never pipelines. A half-closed
   * socket ends likewise, as Node's HTTP server ends it.
   */
  function onStreamInput(this: Socket): void {
    live.get(this)?.close(CloseCode.Normal, 'the client sent data on its event stream');
  }

  /** A released stream's socket errors (e.g. ECONNRESET) end in 'close', which closes the connection. */
  function onStreamError(): void {}

  let keptHttpState = false;
  /** Releases Node's HTTP state of a stream (sse-release.ts); if it cannot, the stream keeps it, as before. */
  function release(req: FastifyRequest, res: ServerResponse): void {
    const socket = req.raw.socket;
    const why = releaseHttpState(req.raw, res);
    unwrapListeners(socket);
    if (why === undefined) {
      socket.on('error', onStreamError);
      socket.on('end', onStreamInput);
      socket.on('data', onStreamInput);
    } else if (!keptHttpState) {
      keptHttpState = true;
      context.log.debug({ reason: why }, "an SSE stream keeps Node's HTTP request state (more memory per stream); later ones are not logged");
    }
  }

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

      // HEAD (Fastify answers it with the GET handler): the checks' answer, without a stream.
      if (req.method === 'HEAD') return void reply.type('text/event-stream; charset=utf-8').send();

      reply.hijack();
      releaseFastify(reply.raw);
      release(req, reply.raw);
      const socket = req.raw.socket;
      const transport = new SseTransport(socket, req.raw.httpVersion, reply.getHeaders(), names, since, options.retryMs);
      // The node's state is answered on the stream so that EventSource retries by itself.
      if (!context.accepting()) return transport.close(CloseCode.ServiceRestart, 'node is shutting down; reconnect');
      if (options.connections() >= options.maxConnections) return transport.close(CloseCode.TryAgainLater, 'node is at its connection limit; retry later');

      const connection = new Connection(context, transport, identity, context.addressOf(req.raw));
      live.set(socket, connection);
      socket.on('close', onStreamClose);
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
        ([socket, connection]) => new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          connection.close(code, reason);
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(closing), timeout]);
      clearTimeout(timer);
      for (const socket of live.keys()) socket.destroy();
    },
  };
}
