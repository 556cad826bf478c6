/**
 * @module transports/long-poll
 * Long-polling: `GET /poll?channel=a&channel=b&cursor=…`. Stateless between requests: the cursor
 * (transports/cursor) holds every channel's position. A request subscribes through the hub like
 * any subscriber — registered first, then history after the cursor, so nothing published in
 * between is lost — answers as soon as it has something (or at the timeout), and unsubscribes.
 *
 * The answer is `{"messages":[…],"cursor":"…"}` plus `"reset":[{channel,reason}]` for channels
 * whose cursor history could no longer serve; those continue from their current position.
 */
import { ErrorCode, type RecoveryFailure, type StreamPosition, type SubscribeResult } from '@herald/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { originAllowed, type ClientAuthenticator } from '../auth/client.js';
import type { Publication } from '../broker/broker.js';
import type { ResolvedChannel } from '../channels/channels.js';
import { checkChannels } from '../connection/channel-checks.js';
import type { ConnectionContext } from '../connection/connection.js';
import { HeraldError } from '../errors.js';
import type { Subscription } from '../hub/hub.js';
import type { Encoder, Subscriber } from '../hub/subscriber.js';
import { formatCursor, parseCursor, type Positions } from './cursor.js';
import { queryChannels, queryParam } from './query.js';
import { messageJson } from './message.js';

/** Each message as `,{…}`: a batch is their concatenation with the first comma dropped. */
const encoder: Encoder = { message: (p: Publication) => Buffer.from(`,${messageJson(p)}`) };

/** One held request: a short-lived subscriber to every channel it names. */
class Poll implements Subscriber {
  readonly encoder = encoder;
  readonly answer: Promise<Buffer>;
  readonly #index: Map<string, number>;
  readonly #frames: Buffer[] = [];
  #bytes = 0;
  /** The batch reached its byte limit: later publications wait for the next request. */
  #full = false;
  #results = 0;
  #fresh = false;
  readonly #resets: Array<{ channel: string; reason: RecoveryFailure }> = [];
  readonly #subscriptions: Subscription[] = [];
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #resolve!: (body: Buffer) => void;

  constructor(
    readonly ctx: ConnectionContext,
    readonly channels: ResolvedChannel[],
    readonly positions: Positions,
    readonly timeoutMs: number,
  ) {
    this.#index = new Map(channels.map((c, i) => [c.name, i]));
    this.answer = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Subscribe to every channel; `onError` gets an engine failure that happened before the answer. */
  start(onError: (err: unknown) => void): void {
    this.channels.forEach((channel, i) => {
      const since = this.positions[i];
      this.#subscriptions.push(
        this.ctx.hub.subscribe(this, channel, {
          since,
          onResult: (result) => this.#subscribed(i, since, result),
          onError: (err) => {
            if (this.#done) return;
            this.#end();
            onError(err);
            // Answer now (the handler turns `err` into the error response); nothing else will.
            this.#resolve(Buffer.alloc(0));
          },
        }),
      );
    });
  }

  #subscribed(i: number, since: StreamPosition | undefined, result: SubscribeResult): void {
    // A channel that recovers keeps its cursor position until its messages move it.
    if (!since || !result.recovered) this.positions[i] = { offset: result.offset, epoch: result.epoch };
    if (!since) this.#fresh = true;
    else if (!result.recovered) this.#resets.push({ channel: this.channels[i]!.name, reason: result.reason ?? 'epoch_changed' });
    if (++this.#results < this.channels.length) return;
    // The hub queues this channel's history right after this call: look once it has.
    queueMicrotask(() => {
      if (this.#fresh || this.#resets.length > 0 || this.#bytes > 0) this.finish();
      else if (!this.#done) this.#timer = setTimeout(() => this.finish(), this.timeoutMs);
    });
  }

  send(frame: Buffer, publication?: Publication): boolean {
    // Not taken now; the next request's cursor picks it up from history.
    if (this.#done || this.#full || !publication) return false;
    if (this.#bytes > 0 && this.#bytes + frame.length > this.ctx.limits.send_buffer_bytes) {
      this.#full = true;
      return false;
    }
    this.#frames.push(frame);
    this.#bytes += frame.length;
    this.positions[this.#index.get(publication.channel)!] = { offset: publication.offset, epoch: publication.epoch };
    return true;
  }

  flush(): void {
    if (this.#results === this.channels.length && this.#bytes > 0) this.finish();
  }

  overflow(): void {
    // More arrived while history was read than one answer may hold: answer with what fits.
    this.finish();
  }

  /** Lost publications: answer now; the next request's cursor meets the gap in history and reports a reset. */
  resync(_reason: string): void {
    this.finish();
  }

  /** Answer with what the batch holds now. */
  finish(): void {
    if (this.#done) return;
    this.#end();
    const messages = this.#bytes > 0 ? Buffer.concat(this.#frames, this.#bytes).subarray(1) : Buffer.alloc(0);
    const reset = this.#resets.length > 0 ? `,"reset":${JSON.stringify(this.#resets)}` : '';
    this.#resolve(Buffer.concat([Buffer.from('{"messages":['), messages, Buffer.from(`],"cursor":${JSON.stringify(formatCursor(this.positions))}${reset}}`)]));
  }

  /** Stop listening; the answer, if still pending, is no longer wanted. */
  #end(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    for (const sub of this.#subscriptions) this.ctx.hub.unsubscribe(sub);
  }

  abort(): void {
    if (this.#done) return;
    this.#end();
    this.#resolve(Buffer.alloc(0));
  }
}

export interface LongPollOptions {
  context: ConnectionContext;
  authenticate: ClientAuthenticator;
  allowedOrigins: readonly string[];
  timeoutSeconds: number;
}

export interface LongPollEndpoint {
  /** The `GET /poll` route handler. */
  handle(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** Requests held open right now. */
  readonly pending: number;
  /** Answer every held request now with what it has (shutdown). */
  closeAll(): void;
}

export function createLongPollEndpoint(options: LongPollOptions): LongPollEndpoint {
  const { context } = options;
  const held = new Set<Poll>();

  return {
    async handle(req, reply) {
      // Every answer, errors included, is for this request only: no cache may keep it.
      void reply.header('cache-control', 'no-store');
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) throw new HeraldError(ErrorCode.Forbidden, 'origin not allowed');
      const identity = await options.authenticate(req.raw, 'longpoll');
      const names = queryChannels(req.query);
      const positions = parseCursor(queryParam(req.query, 'cursor'), names.length, 'cursor');
      if (!context.accepting()) throw new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down; retry on another node');
      const channels = checkChannels(context, 'longpoll', names);
      await Promise.all(
        channels.map(async (channel) => {
          await context.access.checkSubscribe(identity, channel, undefined);
          // A poll is no connection (`client` is empty): the subscribe hook judges every request.
          const hook = channel.options.subscribe_hook;
          if (hook && context.hooks.subscribe) await context.hooks.subscribe(hook, { client: '', user: identity.user, transport: 'longpoll' }, channel.name);
        }),
      );
      const poll = new Poll(context, channels, positions, options.timeoutSeconds * 1000);
      let failure: unknown;
      poll.start((err) => {
        failure = err;
        poll.abort();
      });
      held.add(poll);
      reply.raw.on('close', () => poll.abort());
      const body = await poll.answer;
      held.delete(poll);
      if (failure) throw failure;
      return reply.type('application/json; charset=utf-8').send(body);
    },
    get pending() {
      return held.size;
    },
    closeAll() {
      for (const poll of held) poll.finish();
    },
  };
}
