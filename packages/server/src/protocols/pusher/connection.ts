/**
 * @module protocols/pusher/connection
 * One Pusher client, whatever carries it (WebSocket here; pusher-js's HTTP fallbacks can carry
 * the same object through another `PusherSocket`): its outbox, its subscriptions and the
 * `pusher:*` commands. To the hub it is a `Subscriber` like a Herald connection, whose `id` is
 * the socket id, so `socket_id` exclusion and "client events are not echoed" are the hub's own
 * echo rule.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { StreamPosition } from '@herald/protocol';
import type { Publication } from '../../broker/broker.js';
import type { Channels, ResolvedChannel } from '../../channels/channels.js';
import type { HeraldConfig } from '../../config/schema.js';
import { TokenBucket } from '../../connection/rate-limit.js';
import { Outbox } from '../../connection/outbox.js';
import { HeraldError } from '../../errors.js';
import type { Hub, Subscription } from '../../hub/hub.js';
import type { Subscriber } from '../../hub/subscriber.js';
import { trustedRawJson } from '../../json/raw.js';
import { channelKind, heraldChannel, isCacheChannel, userChannel, validChannelName, type PusherApp } from './apps.js';
import { FrameError, NO_FRAME, parseFrame, PusherCode, type InboundFrame, type PusherEncoder } from './codec.js';
import { PusherPresence, type MemberData, type PresenceSnapshot } from './presence.js';
import { authMatches, channelAuthText, userAuthText } from './signature.js';
import type { PusherWebhooks } from './webhooks.js';

/** Publication event that ends every connection of a user (`terminate_connections`); the API refuses it as a trigger name. */
export const TERMINATE_EVENT = 'pusher_internal:terminate';

/** What a connection needs from the transport that carries it. */
export interface PusherSocket {
  readonly encoder: PusherEncoder;
  write(data: Buffer): void;
  /** Bytes accepted by write() that the peer has not taken yet. */
  bufferedBytes(): number;
  close(code: number, reason: string): void;
}

export interface PusherContext {
  hub: Hub;
  channels: Channels;
  presence: PusherPresence;
  webhooks: PusherWebhooks;
  limits: HeraldConfig['limits'];
  log: Logger;
  accepting(): boolean;
}

/** `<digits>.<digits>`, as pusher-js and the server SDKs require. */
export function newSocketId(): string {
  return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
}

interface ChannelState {
  sub: Subscription;
  resolved: ResolvedChannel;
  /** The member this connection is in a presence channel. */
  member?: MemberData;
  /** Subscribed by the server on sign-in (the user channel), before the client asked. */
  internal?: boolean;
}

export class PusherConnection implements Subscriber {
  readonly id = newSocketId();
  readonly #channels = new Map<string, ChannelState>();
  /** Channels whose subscribe is under way. */
  readonly #pending = new Set<string>();
  readonly #clientEvents: TokenBucket;
  readonly #frames: TokenBucket;
  readonly #outbox = new Outbox();
  #closed = false;
  #user: string | undefined;

  constructor(
    readonly ctx: PusherContext,
    readonly app: PusherApp,
    readonly socket: PusherSocket,
  ) {
    this.#clientEvents = new TokenBucket(app.client_events_per_second);
    this.#frames = new TokenBucket(ctx.limits.client_messages_per_second);
  }

  get encoder(): PusherEncoder {
    return this.socket.encoder;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The signed-in user, if any. */
  get user(): string | undefined {
    return this.#user;
  }

  // ---- outbox (Subscriber) ----------------------------------------------------------------

  send(frame: Buffer, publication?: Publication, replay = false): boolean {
    if (this.#closed) return false;
    if (publication?.event === TERMINATE_EVENT) {
      this.close(PusherCode.Unauthorized, 'connections of this user were terminated');
      return true;
    }
    // The member that joined is told by subscription_succeeded, not by its own member_added.
    if (frame === NO_FRAME || this.encoder.joinedBy.get(frame) === this.id) return true;
    const limit = this.ctx.limits.send_buffer_bytes;
    if (!replay && this.#outbox.overflows(frame, this.socket.bufferedBytes(), limit)) {
      this.#slowConsumer('slow consumer: send buffer overflow, reconnect');
      return false;
    }
    if (this.#outbox.push(frame, limit)) this.flush();
    return true;
  }

  flush(): void {
    if (this.#closed) return;
    const data = this.#outbox.take();
    if (!data) return;
    this.ctx.hub.counters.subscriberWrites++;
    this.socket.write(data);
  }

  overflow(): void {
    this.#slowConsumer('slow consumer: too many publications while subscribing');
  }

  /** Dropped, with what it has queued: it is behind, and pusher-js reconnects at once on 4200. */
  #slowConsumer(reason: string): void {
    if (this.#closed) return;
    this.ctx.hub.counters.slowConsumer(this.id);
    this.#outbox.clear();
    this.close(PusherCode.Reconnect, reason);
  }

  resync(reason: string): void {
    // pusher-js reconnects at once on 4200 and subscribes again; Pusher has no recovery to offer.
    this.close(PusherCode.Reconnect, reason);
  }

  #frame(event: string, data?: unknown, channel?: string): void {
    if (!this.#closed) this.ctx.hub.queue(this, this.encoder.frame(event, data, channel));
  }

  #error(code: number | null, message: string): void {
    this.#frame('pusher:error', { code, message });
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Send the handshake: the socket id and how long the client may stay silent. */
  established(activityTimeoutSeconds: number): void {
    this.#frame('pusher:connection_established', { socket_id: this.id, activity_timeout: activityTimeoutSeconds });
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.flush();
    this.#release();
    this.socket.close(code, reason);
  }

  /** The transport went away (peer closed, network died). */
  transportClosed(): void {
    if (!this.#closed) this.#release();
  }

  #release(): void {
    this.#closed = true;
    this.#outbox.clear();
    for (const [channel, state] of this.#channels) this.#leave(channel, state);
    this.#channels.clear();
  }

  #leave(channel: string, state: ChannelState): void {
    this.ctx.hub.unsubscribe(state.sub);
    if (state.member) void this.ctx.presence.leave(this.app, channel, this.id);
  }

  // ---- commands ---------------------------------------------------------------------------

  /** Handle one inbound text frame. Never throws: a failure becomes a `pusher:error` (or a close). */
  handleText(text: string): void {
    if (this.#closed) return;
    if (!this.#frames.take()) {
      this.close(PusherCode.OverCapacity, `rate limit: more than ${this.#frames.rate} frames per second`);
      return;
    }
    let frame: InboundFrame;
    try {
      frame = parseFrame(text, this.ctx.limits.max_json_depth);
    } catch (err) {
      return this.#error(null, err instanceof FrameError ? err.message : 'invalid frame');
    }
    this.#dispatch(frame).catch((err: unknown) => {
      // A HeraldError says what went wrong (engine unavailable, shutting down); anything else is a bug.
      if (!(err instanceof HeraldError)) this.ctx.log.warn({ err, socket: this.id, event: frame.event }, 'pusher command failed');
      this.#error(null, err instanceof HeraldError ? err.message : 'internal error');
    });
  }

  /** Pusher frames are text: a binary one is refused, the connection kept. */
  handleBinary(): void {
    this.#error(null, 'binary frames are not supported; send JSON text');
  }

  async #dispatch(frame: InboundFrame): Promise<void> {
    switch (frame.event) {
      case 'pusher:ping':
        return this.#frame('pusher:pong', {});
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return this.#subscribe(frame.data);
      case 'pusher:unsubscribe':
        return this.#unsubscribe(frame.data.channel);
      case 'pusher:signin':
        return this.#signin(frame.data);
    }
    if (frame.event.startsWith('client-')) return this.#clientEvent(frame);
    this.#error(null, `unknown event "${frame.event}"`);
  }

  async #subscribe(data: Record<string, unknown>): Promise<void> {
    const { channel, auth, channel_data: channelData } = data;
    if (!validChannelName(channel)) return this.#error(null, 'invalid channel name: 1 to 200 of A-Z a-z 0-9 _ - = @ , . ;');
    if (!this.ctx.accepting()) return this.close(PusherCode.Reconnect, 'node is shutting down; reconnect');
    const existing = this.#channels.get(channel);
    if (existing || this.#pending.has(channel)) {
      // pusher-js subscribes to its user channel after sign-in, which the server already did.
      if (existing?.internal) {
        existing.internal = false;
        this.#frame('pusher_internal:subscription_succeeded', {}, channel);
      }
      return;
    }
    const allowed = this.#authorize(channel, auth, channelData);
    if ('refused' in allowed) return this.#refuse(channel, ...allowed.refused);
    const { resolved, member } = allowed;
    this.#pending.add(channel);
    let position: StreamPosition;
    try {
      position = await this.#subscribeLive(channel, resolved, member !== undefined);
    } catch (err) {
      this.ctx.log.debug({ err, socket: this.id, channel }, 'pusher subscribe failed');
      return this.#refuse(channel, 503, err instanceof Error ? err.message : 'subscribe failed');
    } finally {
      this.#pending.delete(channel);
    }
    const state = this.#channels.get(channel);
    if (!state) return;
    if (member) {
      state.member = member;
      let members: PresenceSnapshot;
      try {
        members = await this.ctx.presence.join(this.app, channel, this.id, member);
      } catch (err) {
        // Without the member list pusher-js would show an empty channel: refuse, so it can retry.
        this.#unsubscribe(channel);
        return this.#refuse(channel, 503, err instanceof Error ? err.message : 'presence unavailable');
      }
      if (this.#channels.get(channel) !== state) return;
      this.#frame('pusher_internal:subscription_succeeded', { presence: members }, channel);
    } else this.#frame('pusher_internal:subscription_succeeded', {}, channel);
    if (isCacheChannel(channel)) await this.#sendCached(channel, state, position);
  }

  /** The checks of a subscribe: limits, the channel's signature, its Herald channel; a refusal's status and message otherwise. */
  #authorize(channel: string, auth: unknown, channelData: unknown): { refused: [number, string] } | { resolved: ResolvedChannel; member?: MemberData } {
    const limit = this.ctx.limits.max_subscriptions_per_connection;
    if (this.#channels.size + this.#pending.size >= limit) return { refused: [400, `at most ${limit} channels per connection`] };
    const kind = channelKind(channel);
    let member: MemberData | undefined;
    if (kind === 'private' || kind === 'encrypted') {
      if (!authMatches(this.app, auth, channelAuthText(this.id, channel))) return { refused: [401, 'invalid signature'] };
    } else if (kind === 'presence') {
      if (typeof channelData !== 'string' || !authMatches(this.app, auth, channelAuthText(this.id, channel, channelData))) return { refused: [401, 'invalid signature'] };
      member = PusherPresence.parseMember(channelData);
      if (!member) return { refused: [400, 'channel_data needs a user_id of at most 128 characters and a user_info under 1 KB'] };
    } else if (kind === 'user' && channel !== (this.#user && userChannel(this.#user))) {
      return { refused: [403, 'sign in as this user first'] };
    }
    let resolved: ResolvedChannel;
    try {
      resolved = this.ctx.channels.resolve(heraldChannel(this.app, channel));
    } catch (err) {
      return { refused: [400, err instanceof Error ? err.message : 'invalid channel'] };
    }
    const max = resolved.options.max_subscribers;
    if (max > 0 && this.ctx.hub.subscriberCount(resolved.name) >= max) return { refused: [429, `channel has its maximum of ${max} subscribers`] };
    return member ? { resolved, member } : { resolved };
  }

  /**
   * A cache channel's last event, read from history: the one at the position the subscription
   * went live at (later ones arrive live), or `pusher:cache_miss` when there is none.
   */
  async #sendCached(channel: string, state: ChannelState, position: StreamPosition): Promise<void> {
    const resolved = state.resolved;
    const history = { size: resolved.options.history_size, ttlMs: resolved.options.history_ttl_seconds * 1000 };
    const { publications } = await this.ctx.hub.broker.history(resolved.name, { limit: 1 }, history);
    const last = publications[0];
    if (this.#channels.get(channel) !== state) return;
    if (last && last.epoch === position.epoch && last.offset === position.offset) this.ctx.hub.queue(this, this.encoder.message(last));
    else if (!last) {
      this.#frame('pusher:cache_miss', undefined, channel);
      this.ctx.webhooks.cacheMiss(this.app, channel);
    }
  }

  /** Subscribe this connection to the hub; resolves with the stream position it went live at (or rejects). */
  #subscribeLive(channel: string, resolved: ResolvedChannel, events: boolean, internal = false): Promise<StreamPosition> {
    return new Promise((resolve, reject) => {
      const sub = this.ctx.hub.subscribe(this, resolved, {
        onResult: ({ offset, epoch }) => resolve({ offset, epoch }),
        onError: (err: unknown) => {
          if (this.#channels.get(channel)?.sub === sub) this.#channels.delete(channel);
          reject(err);
        },
      });
      // Presence subscribers get member_added/member_removed (the hub's join/leave events).
      sub.events = events;
      this.#channels.set(channel, internal ? { sub, resolved, internal } : { sub, resolved });
      if (this.#closed) this.ctx.hub.unsubscribe(sub);
    });
  }

  /** Soketi's shape of a refused subscription: pusher-js hands it to the channel's `pusher:subscription_error` bindings. */
  #refuse(channel: string, status: number, error: string): void {
    this.#frame('pusher:subscription_error', { type: status === 401 ? 'AuthError' : 'SubscriptionError', error, status }, channel);
  }

  #unsubscribe(channel: unknown): void {
    if (typeof channel !== 'string') return;
    const state = this.#channels.get(channel);
    if (!state) return;
    this.#channels.delete(channel);
    this.#leave(channel, state);
  }

  async #signin(data: Record<string, unknown>): Promise<void> {
    const { auth, user_data: userData } = data;
    if (typeof userData !== 'string' || !authMatches(this.app, auth, userAuthText(this.id, userData))) {
      return this.#error(PusherCode.Unauthorized, 'sign-in refused: invalid signature');
    }
    let id: unknown;
    try {
      id = (JSON.parse(userData) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) return this.#error(PusherCode.Unauthorized, 'sign-in refused: user_data needs an "id" string');
    if (this.#user !== undefined && this.#user !== id) return this.#error(PusherCode.Unauthorized, 'a connection cannot change user; reconnect');
    const first = this.#user === undefined;
    this.#user = id;
    // Subscribed by the server: sendToUser and terminate_connections reach the user even before pusher-js subscribes.
    if (first) await this.#subscribeLive(userChannel(id), this.ctx.channels.resolve(heraldChannel(this.app, userChannel(id))), false, true);
    this.#frame('pusher:signin_success', { user_data: userData });
  }

  async #clientEvent(frame: InboundFrame): Promise<void> {
    const channel = frame.channel ?? '';
    const state = this.#channels.get(channel);
    const kind = channelKind(channel);
    if (!state || state.internal || !state.sub.live) return this.#error(PusherCode.ClientEventRejected, `client event refused: not subscribed to "${channel}"`);
    if (kind !== 'private' && kind !== 'presence') return this.#error(PusherCode.ClientEventRejected, 'client events are only allowed on private and presence channels');
    if (!this.app.client_events) return this.#error(PusherCode.ClientEventRejected, 'client events are disabled for this app');
    // An error frame, not a close: pusher-js never reconnects after a 4301 close.
    if (!this.#clientEvents.take()) return this.#error(PusherCode.ClientEventRejected, `rate limit: more than ${this.#clientEvents.rate} client events per second`);
    const data = frame.raw ?? trustedRawJson('{}');
    const user = state.member?.user_id ?? '';
    await this.ctx.hub.publish(state.resolved, { event: frame.event, data, info: { user, client: this.id }, echo: false });
    this.ctx.webhooks.clientEvent(this.app, channel, frame.event, data, this.id, state.member?.user_id);
  }
}
