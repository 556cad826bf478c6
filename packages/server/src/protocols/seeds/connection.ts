/**
 * @module protocols/seeds/connection
 * One client of a seed protocol, whatever its transport: the hub's Subscriber, with the same
 * bounded outbox and slow-consumer cut-off as a native connection (connection/connection.ts),
 * but none of the native commands or frames: each seed adapter drives it in its own words.
 */
import { randomBytes } from 'node:crypto';
import { CloseCode, ErrorCode } from '@herald/protocol';
import type { ClientIdentity } from '../../auth/access.js';
import type { Publication } from '../../broker/broker.js';
import type { ResolvedChannel } from '../../channels/channels.js';
import { checkChannel } from '../../connection/channel-checks.js';
import type { ConnectionContext } from '../../connection/connection.js';
import { Outbox } from '../../connection/outbox.js';
import type { TransportName } from '../../connection/transport.js';
import { HeraldError } from '../../errors.js';
import type { Subscription } from '../../hub/hub.js';
import type { Encoder, Subscriber } from '../../hub/subscriber.js';

/** What a seed connection writes to: a WebSocket or an SSE response. */
export interface SeedSocket {
  write(data: Buffer): void;
  /** Bytes accepted by write() that the peer has not taken yet. */
  bufferedBytes(): number;
  close(code: number, reason: string): void;
}

/**
 * A subscription's checks, as every protocol makes them (namespace, transport, limits, access);
 * `current`: the channels the client already has. Throws a HeraldError.
 */
export async function checkSubscription(ctx: ConnectionContext, transport: TransportName, identity: ClientIdentity, name: string, current: ReadonlyMap<string, unknown> = new Map()): Promise<ResolvedChannel> {
  const channel = checkChannel(ctx, transport, name, current);
  await ctx.access.checkSubscribe(identity, channel, undefined);
  return channel;
}

export class SeedConnection implements Subscriber {
  readonly id: string;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #outbox = new Outbox();
  #closed = false;
  /** Publications this connection does not want although subscribed (seed 002 listening to presence only). */
  skip: ((publication: Publication) => boolean) | undefined;
  /** Told once when the connection is gone, whoever closed it. */
  onRelease: (() => void) | undefined;

  constructor(
    readonly ctx: ConnectionContext,
    readonly encoder: Encoder,
    readonly socket: SeedSocket,
    readonly transport: TransportName,
    readonly identity: ClientIdentity,
    /** Starts the id: a protocol whose clients must be told apart in presence entries and events on every node gives its own. */
    idPrefix = 'c',
  ) {
    this.id = `${idPrefix}_${randomBytes(9).toString('base64url')}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frame: Buffer, publication?: Publication, replay = false): boolean {
    if (this.#closed) return false;
    // Encoders answer with no bytes for what their protocol has no frame for.
    if (frame.length === 0 || (publication && this.skip?.(publication))) return true;
    const limit = this.ctx.limits.send_buffer_bytes;
    if (!replay && this.#outbox.overflows(frame, this.socket.bufferedBytes(), limit)) {
      this.close(CloseCode.SlowConsumer, 'slow consumer: send buffer overflow');
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

  /** Queue a frame of the connection's own (not a publication): written next turn. */
  sendOwn(frame: Buffer): void {
    this.ctx.hub.queue(this, frame);
  }

  overflow(): void {
    this.close(CloseCode.SlowConsumer, 'slow consumer: too many publications while subscribing');
  }

  resync(reason: string): void {
    this.close(CloseCode.ServiceRestart, reason);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    if (code === CloseCode.SlowConsumer) this.ctx.hub.counters.slowConsumer(this.id);
    if (code === CloseCode.ServiceRestart || code === CloseCode.Normal) this.flush();
    this.#release();
    this.socket.close(code, reason);
  }

  /** The peer went away. */
  transportClosed(): void {
    if (!this.#closed) this.#release();
  }

  #release(): void {
    this.#closed = true;
    this.#outbox.clear();
    for (const sub of this.#subscriptions.values()) this.ctx.hub.unsubscribe(sub);
    this.#subscriptions.clear();
    this.onRelease?.();
  }

  has(channel: string): boolean {
    return this.#subscriptions.has(channel);
  }

  /** Resolve a channel and check it as every subscription of this connection is checked. */
  check(name: string): Promise<ResolvedChannel> {
    return checkSubscription(this.ctx, this.transport, this.identity, name, this.#subscriptions);
  }

  /**
   * Subscribe to a checked channel, live from now (the seeds had no history to recover from);
   * `events`: also its presence join/leave. Resolves once live.
   */
  subscribe(channel: ResolvedChannel, events = false): Promise<void> {
    if (this.#closed) return Promise.reject(new HeraldError(ErrorCode.NotSubscribed, 'connection closed'));
    return new Promise((resolve, reject) => {
      const sub = this.ctx.hub.subscribe(this, channel, {
        onResult: () => resolve(),
        onError: (err: unknown) => {
          if (this.#subscriptions.get(channel.name) === sub) this.#subscriptions.delete(channel.name);
          reject(err);
        },
      });
      sub.events = events;
      this.#subscriptions.set(channel.name, sub);
    });
  }

  /** Ask for a subscribed channel's presence events from now on (or stop). */
  setEvents(channel: string, events: boolean): void {
    const sub = this.#subscriptions.get(channel);
    if (sub) sub.events = events;
  }
}
