/**
 * @module connection/connection
 * One client, whatever its transport: its outbox, its subscriptions and its commands.
 *
 * The outbox holds references to frames shared with every other subscriber; it is bounded in
 * bytes together with what the socket still buffers, so a client that stops reading is closed
 * (4008) instead of growing memory or delaying anyone else.
 */
import { randomBytes } from 'node:crypto';
import { CloseCode, ErrorCode, type AuthResult, type DeltaFormat, type PresenceResult, type ServerFrame, type StreamPosition, type SubscribeResult } from '@herald/protocol';
import type { Logger } from 'pino';
import type { AccessControl, ClientIdentity } from '../auth/access.js';
import type { AddressOf, ClientFailures } from '../auth/client.js';
import { TokenRefused } from '../auth/jwt.js';
import type { Publication, PublishMessage } from '../broker/broker.js';
import type { Channels, ResolvedChannel } from '../channels/channels.js';
import type { HeraldConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';
import type { RawJson } from '../json/raw.js';
import type { Hub, Subscription } from '../hub/hub.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { Webhooks } from '../webhooks/webhooks.js';
import type { Subscriber } from '../hub/subscriber.js';
import { CommandError, parseCommand, type Command } from './parse.js';
import { TokenBucket } from './rate-limit.js';
import type { Transport, TransportName } from './transport.js';

/** Outbox size at which a connection is written at once instead of at the hub's next flush. */
const EARLY_FLUSH_BYTES = 64 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ConnectionContext {
  hub: Hub;
  channels: Channels;
  limits: HeraldConfig['limits'];
  log: Logger;
  access: AccessControl;
  /** Refused tokens of `auth` frames and subscriptions count here, per address, like failed connects. */
  failures: ClientFailures;
  /** The client's address (behind a trusted proxy, the forwarded one): what failures are counted by. */
  addressOf: AddressOf;
  presence: PresenceTracker;
  webhooks: Webhooks;
  /** Seconds a connection whose token expired has to send a fresh one. */
  refreshGraceSeconds: number;
  /** False once the node is shutting down: commands that start work are refused. */
  accepting(): boolean;
}

/**
 * The checks every subscription passes, whatever the transport: a valid channel, in a configured
 * namespace that allows this transport, not yet among the subscriber's `current` channels, within
 * the per-connection limit, with room for one more subscriber. Throws a HeraldError.
 */
export function checkChannel(ctx: ConnectionContext, transport: TransportName, name: unknown, current: ReadonlySet<string> | ReadonlyMap<string, unknown>): ResolvedChannel {
  const channel = ctx.channels.resolve(name);
  if (!channel.options.transports.includes(transport)) {
    throw new HeraldError(ErrorCode.TransportNotAllowed, `namespace "${channel.namespace}" does not allow ${transport}`);
  }
  if (current.has(channel.name)) throw new HeraldError(ErrorCode.AlreadySubscribed, `already subscribed to "${channel.name}"`);
  const limit = ctx.limits.max_subscriptions_per_connection;
  if (current.size >= limit) throw new HeraldError(ErrorCode.TooManySubscriptions, `at most ${limit} subscriptions per connection`);
  const max = channel.options.max_subscribers;
  if (max > 0 && ctx.hub.subscriberCount(channel.name) >= max) {
    throw new HeraldError(ErrorCode.ChannelFull, `channel "${channel.name}" has its maximum of ${max} subscribers`);
  }
  return channel;
}

/** Seeing a channel's presence needs a namespace that keeps it: the same refusal on every transport. */
export function checkPresenceNamespace(channel: ResolvedChannel): void {
  if (!channel.options.presence) throw new HeraldError(ErrorCode.BadRequest, `namespace "${channel.namespace}" has no presence`);
}

/** Channels asked for all at once (SSE, long-poll): each checked as above against the ones before it. */
export function checkChannels(ctx: ConnectionContext, transport: TransportName, names: readonly unknown[]): ResolvedChannel[] {
  const seen = new Set<string>();
  return names.map((name) => {
    const channel = checkChannel(ctx, transport, name, seen);
    seen.add(channel.name);
    return channel;
  });
}

/** What a subscribe may ask for besides the channel and position. */
export interface SubscribeExtras {
  /** Subscription token for a private channel. */
  token?: string;
  /** Also presence events (and the member list after the reply). */
  presence?: boolean;
  /** Delta compression (docs/protocol.md#delta-compression). */
  delta?: DeltaFormat;
}

export class Connection implements Subscriber {
  readonly id = `c_${randomBytes(9).toString('base64url')}`;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Channels whose subscribe is being authorized: they count as subscribed for duplicates and limits. */
  readonly #authorizing = new Map<string, { cancelled: boolean }>();
  /** Presence channels this connection is a member of. */
  readonly #present = new Set<string>();
  #identity: ClientIdentity;
  #expiryTimer: NodeJS.Timeout | undefined;
  readonly #limiter: TokenBucket;
  /** Per namespace with `client_publish_per_second`: this connection's publish budget there. */
  readonly #publishLimiters = new Map<string, TokenBucket>();
  #frames: Buffer[] = [];
  #bytes = 0;
  #closed = false;
  /** Set when a refused token leaves this address over the failure limit: the next error reply is the last frame. */
  #guessing = false;

  constructor(
    readonly ctx: ConnectionContext,
    readonly transport: Transport,
    identity: ClientIdentity,
    /** The client's address, see ConnectionContext.addressOf. */
    readonly address: string,
  ) {
    this.#limiter = new TokenBucket(ctx.limits.client_messages_per_second);
    this.#identity = identity;
    this.#watchExpiry();
  }

  get identity(): ClientIdentity {
    return this.#identity;
  }

  get encoder() {
    return this.transport.encoder;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- outbox -------------------------------------------------------------------------------

  send(frame: Buffer, publication?: Publication, replay = false): boolean {
    if (this.#closed) return false;
    const limit = this.ctx.limits.send_buffer_bytes;
    const trailer = publication && this.transport.trailer?.(publication);
    const size = frame.length + (trailer?.length ?? 0);
    if (!replay && this.#bytes + size + this.transport.bufferedBytes() > limit) {
      this.close(CloseCode.SlowConsumer, 'slow consumer: send buffer overflow, reconnect and recover');
      return false;
    }
    this.#frames.push(frame);
    if (trailer) this.#frames.push(trailer);
    this.#bytes += size;
    // A burst within one turn must not count against a client that reads fine: hand big
    // batches to the socket now, so only what the peer has not taken stays counted.
    if (this.#bytes >= Math.min(EARLY_FLUSH_BYTES, limit / 2)) this.flush();
    return true;
  }

  flush(): void {
    if (this.#closed || this.#frames.length === 0) return;
    const frames = this.#frames;
    const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames, this.#bytes);
    this.#frames = [];
    this.#bytes = 0;
    this.ctx.hub.counters.subscriberWrites++;
    this.transport.write(data);
  }

  overflow(): void {
    this.close(CloseCode.SlowConsumer, 'slow consumer: too many publications held for it');
  }

  behind(bytes: number): boolean {
    return this.#bytes + bytes + this.transport.bufferedBytes() > this.ctx.limits.send_buffer_bytes / 2;
  }

  onceDrained(listener: () => void): void {
    if (!this.#closed) this.transport.onceDrained(listener);
  }

  resync(reason: string): void {
    // 1012: reconnect and recover; what is queued is still delivered, so the client resumes from there.
    this.close(CloseCode.ServiceRestart, reason);
  }

  sendFrame(frame: ServerFrame): void {
    this.ctx.hub.queue(this, this.encoder.frame(frame));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Close from the server side: queued frames are dropped, subscriptions released. */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    if (code === CloseCode.SlowConsumer) this.ctx.hub.counters.slowConsumer(this.id);
    // A graceful close still delivers what is queued; an error close (e.g. overflow) does not.
    if (code === CloseCode.ServiceRestart || code === CloseCode.Normal) this.flush();
    this.#release();
    this.transport.close(code, reason);
  }

  /** The transport went away (peer closed, network died). */
  transportClosed(): void {
    if (this.#closed) return;
    this.#release();
  }

  #release(): void {
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    this.#frames = [];
    this.#bytes = 0;
    for (const sub of this.#subscriptions.values()) this.ctx.hub.unsubscribe(sub);
    this.#subscriptions.clear();
    for (const channel of this.#present) void this.ctx.presence.leave(channel, this.id);
    this.#present.clear();
  }

  /** Who this connection is in presence and on its publications: an anonymous client is its own user. */
  get #info(): { user: string; client: string } {
    return { user: this.#identity.user || this.id, client: this.id };
  }

  // ---- commands -----------------------------------------------------------------------------

  /** Handle one inbound text frame. Never throws: every failure becomes an error frame or a close. */
  handleText(text: string): void {
    if (this.#closed) return;
    if (!this.#limiter.take()) {
      this.close(CloseCode.RateLimited, `rate limit: more than ${this.#limiter.rate} frames per second`);
      return;
    }
    let command: Command;
    try {
      command = parseCommand(text, this.ctx.limits.max_json_depth);
    } catch (err) {
      this.#fail(err instanceof CommandError ? err.id : undefined, err);
      return;
    }
    this.#dispatch(command).catch((err: unknown) => this.#fail(command.id, err));
  }

  async #dispatch(command: Command): Promise<void> {
    if (!this.ctx.accepting() && command.type !== 'ping' && command.type !== 'unsubscribe') {
      throw new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down; reconnect');
    }
    switch (command.type) {
      case 'subscribe':
        return this.subscribe(command.channel, command.since, (result) => this.#reply(command.id, result), command);
      case 'presence':
        return this.#presence(command.id, command.channel);
      case 'unsubscribe':
        return this.#unsubscribe(command.id, command.channel);
      case 'publish':
        return this.#publish(command.id, command);
      case 'ping':
        return this.sendFrame(command.id === undefined ? { type: 'pong' } : { type: 'pong', id: command.id });
      case 'auth':
        return this.#authenticate(command.id, command.token);
    }
  }

  /** First authentication of an anonymous connection, or a token refresh for the same user. */
  async #authenticate(id: number | undefined, token: string): Promise<void> {
    if (!this.ctx.access.enabled) throw new HeraldError(ErrorCode.BadRequest, 'client authentication is not configured on this server');
    const identity = await this.#checkToken(() => this.ctx.access.identify(token));
    if (this.#closed) return;
    if (this.#identity.user !== '' && identity.user !== this.#identity.user) {
      throw new HeraldError(ErrorCode.Forbidden, 'a connection cannot change user; reconnect with the new token');
    }
    this.#identity = identity;
    this.#watchExpiry();
    this.#reply(id, identity.expires === undefined ? { user: identity.user } : { user: identity.user, expires: identity.expires });
  }

  /**
   * Run a check of a token the client presented. A refusal counts toward the address's failure
   * limit, and once the address is over it the refusal is the connection's last reply (close 4029).
   * A token presented while the address is over it is refused unchecked, as a new connect would be.
   */
  async #checkToken<T>(check: () => Promise<T>): Promise<T> {
    try {
      this.ctx.failures.check(this.address);
      return await check();
    } catch (err) {
      if (err instanceof TokenRefused) this.ctx.failures.record(this.address, err);
      this.#guessing ||= this.ctx.failures.blocked(this.address);
      throw err;
    }
  }

  /** When the token expires, ask for a fresh one; without it within the grace period, close 4004. */
  #watchExpiry(): void {
    clearTimeout(this.#expiryTimer);
    const expires = this.#identity.expires;
    if (expires === undefined) return;
    const grace = this.ctx.refreshGraceSeconds;
    const delay = expires * 1000 - Date.now();
    if (delay > MAX_TIMER_MS) {
      // setTimeout fires at once beyond ~24.8 days: wait in steps instead.
      this.#expiryTimer = setTimeout(() => this.#watchExpiry(), MAX_TIMER_MS).unref();
      return;
    }
    this.#expiryTimer = setTimeout(() => {
      this.sendFrame({ type: 'refresh', grace });
      this.#expiryTimer = setTimeout(() => this.close(CloseCode.TokenExpired, 'token expired'), grace * 1000).unref();
    }, Math.max(0, delay)).unref();
  }

  /**
   * Subscribe this connection (all checks included). `onResult` runs before any publication of
   * the channel is queued, so whatever it queues (a reply) reaches the client first. Resolves
   * once the subscription is live; rejects with a HeraldError when refused.
   */
  async subscribe(name: unknown, since: StreamPosition | undefined, onResult: (result: SubscribeResult) => void, options: SubscribeExtras = {}): Promise<void> {
    const { token, presence = false } = options;
    // Channels still being authorized count as taken, for duplicates and the per-connection limit.
    const taken = this.#authorizing.size === 0 ? this.#subscriptions : new Set([...this.#subscriptions.keys(), ...this.#authorizing.keys()]);
    const channel = checkChannel(this.ctx, this.transport.name, name, taken);
    if (presence) checkPresenceNamespace(channel);
    const pending = { cancelled: false };
    this.#authorizing.set(channel.name, pending);
    try {
      const authorize = () => this.ctx.access.checkSubscribe(this.#identity, channel, token);
      await (token === undefined ? authorize() : this.#checkToken(authorize));
      // Checked after the subscription token: a private channel's presence is for its subscribers.
      if (presence) this.ctx.access.checkPresence(this.#identity, channel, true);
    } finally {
      this.#authorizing.delete(channel.name);
    }
    if (this.#closed) return;
    if (pending.cancelled) throw new HeraldError(ErrorCode.NotSubscribed, 'unsubscribed before the subscription completed');
    await this.#subscribeLive(channel, since, onResult, presence, options.delta !== undefined);
    if (!channel.options.presence || this.#closed || this.#subscriptions.get(channel.name)?.cancelled !== false) return;
    // Joined only once live, so a member always receives the channel's publications.
    this.#present.add(channel.name);
    await this.ctx.presence.join(channel.name, this.#info);
    if (!presence) return;
    // The subscribe is already answered: a failing store must not produce a second reply.
    try {
      const members = await this.ctx.presence.members(channel.name);
      if (!this.#closed) this.sendFrame({ type: 'presence', channel: channel.name, members });
    } catch (err) {
      this.ctx.log.warn({ err, client: this.id, channel: channel.name }, 'presence members unavailable');
    }
  }

  #subscribeLive(channel: ResolvedChannel, since: StreamPosition | undefined, onResult: (result: SubscribeResult) => void, events: boolean, delta: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const sub = this.ctx.hub.subscribe(this, channel, {
        since,
        delta,
        onResult: (result: SubscribeResult) => {
          onResult(result);
          resolve();
        },
        onError: (err: unknown) => {
          if (this.#subscriptions.get(channel.name) === sub) this.#subscriptions.delete(channel.name);
          reject(err);
        },
      });
      sub.events = events;
      this.#subscriptions.set(channel.name, sub);
    });
  }

  async #presence(id: number | undefined, name: unknown): Promise<void> {
    const channel = this.ctx.channels.resolve(name);
    checkPresenceNamespace(channel);
    this.ctx.access.checkPresence(this.#identity, channel, this.#subscriptions.has(channel.name));
    const members = await this.ctx.presence.members(channel.name);
    this.#reply(id, { channel: channel.name, members });
  }

  #unsubscribe(id: number | undefined, name: unknown): void {
    const channel = this.ctx.channels.resolve(name);
    const authorizing = this.#authorizing.get(channel.name);
    if (authorizing) {
      authorizing.cancelled = true;
      return this.#reply(id);
    }
    const sub = this.#subscriptions.get(channel.name);
    if (!sub) throw new HeraldError(ErrorCode.NotSubscribed, `not subscribed to "${channel.name}"`);
    this.#subscriptions.delete(channel.name);
    this.ctx.hub.unsubscribe(sub);
    if (this.#present.delete(channel.name)) void this.ctx.presence.leave(channel.name, this.id);
    this.#reply(id);
  }

  async #publish(id: number | undefined, { channel: name, event, key, data }: { channel: unknown; event?: string; key?: string; data: RawJson }): Promise<void> {
    const channel = this.ctx.channels.resolve(name);
    if (!channel.options.allow_client_publish) {
      throw new HeraldError(ErrorCode.Forbidden, `namespace "${channel.namespace}" does not allow client publishing`);
    }
    this.ctx.access.checkPublish(this.#identity, channel);
    this.#checkPublishRate(channel);
    // The sender's identity comes from the connection, never from the frame: it cannot be forged.
    const message: PublishMessage = { data, info: this.#info };
    if (event !== undefined) message.event = event;
    if (key !== undefined) message.key = key;
    if (!channel.options.echo) message.echo = false;
    const position = await this.ctx.hub.publish(channel, message);
    this.ctx.webhooks.emit({ type: 'client.publish', channel: channel.name, info: message.info, ...(event === undefined ? {} : { event }), data, ...position });
    this.#reply(id, position);
  }

  #checkPublishRate(channel: ResolvedChannel): void {
    const rate = channel.options.client_publish_per_second;
    if (rate === 0) return;
    let bucket = this.#publishLimiters.get(channel.namespace);
    if (!bucket) this.#publishLimiters.set(channel.namespace, (bucket = new TokenBucket(rate)));
    if (!bucket.take()) throw new HeraldError(ErrorCode.RateLimited, `more than ${rate} publishes per second to namespace "${channel.namespace}"`);
  }

  #reply(id: number | undefined, result?: SubscribeResult | StreamPosition | AuthResult | PresenceResult): void {
    if (id === undefined) return;
    this.sendFrame(result ? { type: 'reply', id, ok: true, result } : { type: 'reply', id, ok: true });
  }

  #fail(id: number | undefined, err: unknown): void {
    if (this.#closed) return;
    let error: HeraldError;
    if (err instanceof HeraldError) error = err;
    else {
      this.ctx.log.error({ err, client: this.id }, 'command failed');
      error = new HeraldError(ErrorCode.Internal, 'internal error');
    }
    this.sendFrame(id === undefined ? { type: 'error', error: error.toBody() } : { type: 'reply', id, error: error.toBody() });
    if (!this.#guessing) return;
    this.flush();
    this.close(CloseCode.RateLimited, 'too many failed authentications from this address; retry after a minute');
  }
}
