/**
 * @module connection/connection
 * One client, whatever its transport: its outbox, its subscriptions and its commands.
 *
 * The outbox holds references to frames shared with every other subscriber; it is bounded in
 * bytes together with what the socket still buffers, so a client that stops reading is closed
 * (4008) instead of growing memory or delaying anyone else.
 */
import { randomBytes } from 'node:crypto';
import { CloseCode, ErrorCode, type AuthResult, type DeltaFormat, type PresenceResult, type RpcResult, type ServerFrame, type StreamPosition, type SubscribeResult } from '@herald/protocol';
import type { Logger } from 'pino';
import type { AccessControl, ClientIdentity } from '../auth/access.js';
import type { AddressOf, ClientFailures } from '../auth/client.js';
import { TokenRefused } from '../auth/jwt.js';
import type { Publication } from '../broker/broker.js';
import type { Channels, ResolvedChannel } from '../channels/channels.js';
import type { HeraldConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';
import { checkInfo } from '../hooks/backend.js';
import type { BackendHooks, HookCaller, MemberInfo as Info } from '../hooks/hooks.js';
import type { RawJson } from '../json/raw.js';
import type { Hub, Subscription } from '../hub/hub.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { Webhooks } from '../webhooks/webhooks.js';
import type { Subscriber } from '../hub/subscriber.js';
import type { UserLimits } from '../control/limits.js';
import { ExpiryWatch, type ExpiringConnection } from './expiry.js';
import { MemberInfo } from './member-info.js';
import { checkChannel, checkPresenceNamespace, type Taken } from './channel-checks.js';
import { ClientPublisher } from './client-publish.js';
import { CommandError, parseCommand, type Command } from './parse.js';
import type { ConnectionRegistry } from './registry.js';
import { TokenBucket } from './rate-limit.js';
import { serverChannels, subscribeServerSide } from './server-subscriptions.js';
import { SubscriptionMap } from './subscription-map.js';
import type { Transport } from './transport.js';

/** The outbox when empty (never pushed to). */
const NO_FRAMES: Buffer[] = [];

/** Outbox size at which a connection is written at once instead of at the hub's next flush. */
const EARLY_FLUSH_BYTES = 64 * 1024;

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
  /** The backend's hooks (hooks/): those not configured are absent. */
  hooks: BackendHooks;
  /** `presence.update_per_second` and `presence.max_info_bytes`. */
  presenceLimits: Pick<HeraldConfig['presence'], 'update_per_second' | 'max_info_bytes'>;
  /** `server_subscriptions.personal_namespace`: '' = no personal channel. */
  personalNamespace: string;
  /** False once the node is shutting down: commands that start work are refused. */
  accepting(): boolean;
  /** This node's live connections, which control commands act on. */
  registry: ConnectionRegistry;
  /** Per-user connection and rate limits shared by every node. */
  userLimits: UserLimits;
}

/** What a subscribe may ask for besides the channel and position, from the client or the server. */
export interface SubscribeOptions {
  /** Subscription token for a private channel. */
  token?: string;
  /** Also presence events (and the member list after the reply). */
  presence?: boolean;
  /** Delta compression (docs/protocol.md#delta-compression). */
  delta?: DeltaFormat;
  /**
   * Server-side (connection/server-subscriptions.ts): whoever named the channel (a verified token,
   * the backend, the operator) is trusted, so no permission check and no subscribe hook.
   */
  server?: boolean;
}

export class Connection implements Subscriber, ExpiringConnection {
  readonly id = `c_${randomBytes(9).toString('base64url')}`;
  /** When the connection opened (ms since the epoch). */
  readonly since = Date.now();
  readonly #subscriptions = new SubscriptionMap<Subscription>();
  // What follows is made on first use (undefined until then): an idle connection is most of a
  // node's memory at 10 000+ connections, and most never authorize, join or publish.
  /** Channels whose subscribe is being authorized: they count as subscribed for duplicates and limits. */
  #authorizing: Map<string, { cancelled: boolean }> | undefined;
  /** Presence channels this connection is a member of. */
  #present: Set<string> | undefined;
  #identity: ClientIdentity;
  /** Only for an identity that expires. */
  #expiry: ExpiryWatch | undefined;
  /** Inbound frames (WebSocket); SSE streams never send any. */
  #limiter: TokenBucket | undefined;
  /** Info per presence channel and the presence_update budget; most connections never need it. */
  #member: MemberInfo | undefined;
  /** Client publishing (and its per-namespace budgets): only for a connection that publishes. */
  #publisher: ClientPublisher | undefined;
  /**
   * The outbox: its first frame, and an array only once a second one is queued. Under steady
   * load a flush mostly carries one frame, which then costs no array (garbage per delivery).
   */
  #first: Buffer | undefined;
  /** NO_FRAMES until a second frame is queued: an idle connection holds no array of its own. */
  #frames: Buffer[] = NO_FRAMES;
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
    if (identity.info) this.#members().setOwn(identity.info);
    this.#identity = identity;
    this.#watchExpiry();
    ctx.registry.add(this);
  }

  #members(): MemberInfo {
    return (this.#member ??= new MemberInfo(this.ctx.presenceLimits.update_per_second));
  }

  /** (Re)starts the expiry watch from the identity's current expiry. */
  #watchExpiry(): void {
    if (this.#identity.expires === undefined && !this.#expiry) return;
    (this.#expiry ??= new ExpiryWatch(this, this.ctx.refreshGraceSeconds, this.ctx.hooks)).watch();
  }

  get identity(): ClientIdentity {
    return this.#identity;
  }

  /** The channels this connection is subscribed to (live or catching up). */
  get channels(): string[] {
    return this.#subscriptions.keys();
  }

  subscribedTo(channel: string): boolean {
    return this.#subscriptions.has(channel);
  }

  /**
   * Per-user admission, once the transport has the connection: over the user's connection limit
   * (or with the engine unreachable while limits are on) the connection is closed. Resolves
   * whether it may go on.
   */
  async admit(): Promise<boolean> {
    try {
      await this.ctx.userLimits.connect(this);
      return !this.#closed;
    } catch (err) {
      this.#refuse(err);
      return false;
    }
  }

  #refuse(err: unknown): void {
    const code = err instanceof HeraldError && err.code === ErrorCode.RateLimited ? CloseCode.RateLimited : CloseCode.TryAgainLater;
    this.close(code, err instanceof HeraldError ? err.message : 'internal error');
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
    if (!replay && this.#bytes + frame.length + this.transport.bufferedBytes() > limit) {
      this.close(CloseCode.SlowConsumer, 'slow consumer: send buffer overflow, reconnect and recover');
      return false;
    }
    if (publication) this.transport.queued?.(frame, publication);
    if (this.#first === undefined) this.#first = frame;
    else if (this.#frames === NO_FRAMES) this.#frames = [this.#first, frame];
    else this.#frames.push(frame);
    this.#bytes += frame.length;
    // A burst within one turn must not count against a client that reads fine: hand big
    // batches to the socket now, so only what the peer has not taken stays counted.
    if (this.#bytes >= Math.min(EARLY_FLUSH_BYTES, limit / 2)) this.flush();
    return true;
  }

  flush(): void {
    const first = this.#first;
    if (this.#closed || first === undefined) return;
    const frames = this.#frames;
    const bytes = this.#bytes;
    this.#first = undefined;
    this.#frames = NO_FRAMES;
    this.#bytes = 0;
    this.ctx.hub.counters.subscriberWrites++;
    if (this.transport.writeFrames) this.transport.writeFrames(frames === NO_FRAMES ? [first] : frames, bytes);
    else this.transport.write(frames === NO_FRAMES ? first : Buffer.concat(frames, bytes));
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
    this.ctx.registry.remove(this);
    this.ctx.userLimits.disconnected(this);
    this.#expiry?.stop();
    this.#first = undefined;
    this.#frames = NO_FRAMES;
    this.#bytes = 0;
    for (const sub of this.#subscriptions.values()) this.ctx.hub.unsubscribe(sub);
    this.#subscriptions.clear();
    for (const channel of this.#present ?? []) void this.ctx.presence.leave(channel, this.id);
    this.#present = undefined;
  }

  /** Who this connection is in presence and on its publications: an anonymous client is its own user. */
  get #info(): { user: string; client: string } {
    return { user: this.#identity.user || this.id, client: this.id };
  }

  /** Who is asking, for the backend's hooks. */
  get caller(): HookCaller {
    return { client: this.id, user: this.#identity.user, transport: this.transport.name };
  }

  /** The refresh hook extended this connection's session (connection/expiry.ts). */
  extend(expires: number, info: Info | undefined): void {
    this.#identity = { ...this.#identity, expires };
    if (info) this.#members().setOwn(info);
  }

  // ---- commands -----------------------------------------------------------------------------

  /** Handle one inbound text frame. Never throws: every failure becomes an error frame or a close. */
  handleText(text: string): void {
    if (this.#closed) return;
    if (!(this.#limiter ??= new TokenBucket(this.ctx.limits.client_messages_per_second)).take()) {
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
    if (command.type !== 'ping' && this.ctx.userLimits.limitsCommands) await this.ctx.userLimits.command(this);
    switch (command.type) {
      case 'subscribe':
        return this.subscribe(command.channel, command.since, (result) => this.#reply(command.id, result), {
          token: command.token,
          presence: command.presence,
          delta: command.delta,
        });
      case 'presence':
        return this.#presence(command.id, command.channel);
      case 'unsubscribe':
        return this.#unsubscribe(command.id, command.channel);
      case 'publish':
        return this.#reply(command.id, await (this.#publisher ??= new ClientPublisher(this.ctx)).publish(this, this.#identity, this.#info, command));
      case 'ping':
        return this.sendFrame(command.id === undefined ? { type: 'pong' } : { type: 'pong', id: command.id });
      case 'auth':
        return this.#authenticate(command.id, command.token);
      case 'rpc':
        return this.#rpc(command.id, command.method, command.data);
      case 'presence_update':
        return this.#presenceUpdate(command.id, command.channel, command.info);
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
    const previous = this.#identity.user;
    this.#identity = identity;
    if (identity.info) this.#members().setOwn(identity.info);
    this.#watchExpiry();
    if (previous !== identity.user) {
      // An anonymous connection became a user's: it counts toward that user's limit from now on.
      this.ctx.registry.userChanged(this, previous);
      if (!(await this.admit())) return;
    }
    this.#reply(id, identity.expires === undefined ? { user: identity.user } : { user: identity.user, expires: identity.expires });
    // A first authentication brings the server-side channels a token-in-URL connect would have had.
    if (previous === '') void subscribeServerSide(this, serverChannels(identity, this.ctx.personalNamespace));
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

  /**
   * Subscribe this connection (all checks included). `onResult` runs before any publication of
   * the channel is queued, so whatever it queues (a reply) reaches the client first. Resolves
   * once the subscription is live; rejects with a HeraldError when refused.
   */
  async subscribe(name: unknown, since: StreamPosition | undefined, onResult: (result: SubscribeResult) => void, options: SubscribeOptions = {}): Promise<void> {
    const { token, presence = false, server = false } = options;
    const channel = checkChannel(this.ctx, this.transport.name, name, this.#taken());
    if (presence) checkPresenceNamespace(channel);
    const pending = { cancelled: false };
    const authorizing = (this.#authorizing ??= new Map());
    authorizing.set(channel.name, pending);
    try {
      if (!server) {
        const authorize = () => this.ctx.access.checkSubscribe(this.#identity, channel, token);
        await (token === undefined ? authorize() : this.#checkToken(authorize));
        // Checked after the subscription token: a private channel's presence is for its subscribers.
        if (presence) this.ctx.access.checkPresence(this.#identity, channel, true);
        const hook = channel.options.subscribe_hook;
        if (hook && this.ctx.hooks.subscribe) {
          const { info } = await this.ctx.hooks.subscribe(hook, this.caller, channel.name);
          if (info) this.#members().set(channel.name, info);
        }
      }
    } finally {
      authorizing.delete(channel.name);
      if (authorizing.size === 0 && this.#authorizing === authorizing) this.#authorizing = undefined;
    }
    if (this.#closed) return;
    if (pending.cancelled) throw new HeraldError(ErrorCode.NotSubscribed, 'unsubscribed before the subscription completed');
    await this.#subscribeLive(channel, since, onResult, presence, options.delta !== undefined);
    if (!channel.options.presence || this.#closed || this.#subscriptions.get(channel.name)?.cancelled !== false) return;
    // Joined only once live, so a member always receives the channel's publications.
    (this.#present ??= new Set()).add(channel.name);
    await this.ctx.presence.join(channel.name, this.#members().entry(channel.name, this.#info.user, this.id));
    if (!presence) return;
    // The subscribe is already answered: a failing store must not produce a second reply.
    try {
      const members = await this.ctx.presence.members(channel.name);
      if (!this.#closed) this.sendFrame({ type: 'presence', channel: channel.name, members });
    } catch (err) {
      this.ctx.log.warn({ err, client: this.id, channel: channel.name }, 'presence members unavailable');
    }
  }

  /** Channels still being authorized count as taken, for duplicates and the per-connection limit. */
  #taken(): Taken {
    return !this.#authorizing ? this.#subscriptions : new Set([...this.#subscriptions.keys(), ...this.#authorizing.keys()]);
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
    const authorizing = this.#authorizing?.get(channel.name);
    if (authorizing) {
      authorizing.cancelled = true;
      return this.#reply(id);
    }
    if (!this.drop(channel.name)) throw new HeraldError(ErrorCode.NotSubscribed, `not subscribed to "${channel.name}"`);
    this.#reply(id);
  }

  /** End a live subscription (the client's own unsubscribe, or the backend's); false if there was none. */
  drop(channel: string): boolean {
    const sub = this.#subscriptions.get(channel);
    if (!sub) return false;
    this.#subscriptions.delete(channel);
    this.ctx.hub.unsubscribe(sub);
    this.#member?.forget(channel);
    if (this.#present?.delete(channel)) void this.ctx.presence.leave(channel, this.id);
    return true;
  }

  /** Set this connection's info in a presence channel it is a member of; watchers get `update`. */
  async #presenceUpdate(id: number | undefined, name: unknown, info: Record<string, unknown>): Promise<void> {
    const channel = this.ctx.channels.resolve(name);
    checkPresenceNamespace(channel);
    if (!this.#present?.has(channel.name)) throw new HeraldError(ErrorCode.NotSubscribed, `subscribe to "${channel.name}" before updating your presence there`);
    checkInfo(info, this.ctx.presenceLimits.max_info_bytes, 'presence info');
    this.#members().takeUpdate();
    this.#members().set(channel.name, info);
    await this.ctx.presence.update(channel.name, this.#members().entry(channel.name, this.#info.user, this.id));
    this.#reply(id);
  }

  /** Forward an `rpc` to the backend; its answer is the reply. */
  async #rpc(id: number | undefined, method: string, data: RawJson | undefined): Promise<void> {
    const rpc = this.ctx.hooks.rpc;
    if (!rpc) throw new HeraldError(ErrorCode.NotFound, 'rpc is not configured on this server (hooks.rpc_url)');
    const result = await rpc(this.caller, method, data);
    if (!this.#closed) this.#reply(id, result);
  }

  #reply(id: number | undefined, result?: SubscribeResult | StreamPosition | AuthResult | PresenceResult | RpcResult): void {
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
