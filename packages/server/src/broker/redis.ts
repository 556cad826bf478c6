/**
 * @module broker/redis
 * Engine for several nodes sharing one Redis. Each channel has a meta hash (epoch, top offset)
 * and a stream of recent publications; a Lua script (redis-lua.ts) assigns the offset, appends
 * and PUBLISHes in one atomic step, so nodes publishing to one channel at once never share an
 * offset, and Redis hands the messages to every subscribed node in offset order. Key layout:
 * docs/engines.md.
 *
 * Two connections per node: commands, and pub/sub (a subscribed Redis connection takes no other
 * commands), each to one server or to a whole Redis Cluster (redis-connection.ts). Neither queues
 * commands while disconnected: a publish during an outage fails at once with `unavailable` rather
 * than piling up. Subscriptions are tracked here and re-made on every reconnect, then the node is
 * told (`onResubscribed`) so it can fill the gap from history.
 */
import { randomBytes } from 'node:crypto';
import type { StreamPosition } from '@herald/protocol';
import { Cluster } from 'ioredis';
import type { SharedCounter } from '../auth/failure-limiter.js';
import type { ReplayCache } from '../auth/replay-cache.js';
import type { PresenceEntry, PresenceSpace, PresenceStore } from '../presence/presence.js';
import { RedisPresenceStore } from '../presence/redis.js';
import { CLAIM_TTL_MS, decodeStored, encodeClaim, encodeResult, type IdempotencyStore } from './idempotency-store.js';
import {
  checkRecovery,
  decodeBody,
  decodeEvent,
  encodeBody,
  encodeEvent,
  EVENT_PREFIX,
  type ChannelEvent,
  type PublishMessage,
  type PublishOnce,
  newEpoch,
  noStream,
  unavailable,
  type Broker,
  type BrokerHandler,
  type HistoryOptions,
  type HistoryQuery,
  type HistoryResult,
  type Publication,
} from './broker.js';
import type { BucketStore, ControlBus, RecordStore } from './control.js';
import { redisBucketStore, redisRecordStore } from './redis-control.js';
import { connectRedis, createRedisConnection, reconnected, type RedisConnection } from './redis-connection.js';
import { COUNT, defineScript, EVENT, HISTORY, PUBLISH, PUBLISH_ONCE, RELEASE_CLAIM, type Script } from './redis-lua.js';

export interface RedisBrokerOptions {
  /** `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS), `redis-sentinel://[:password@]host:port,host:port/master` or `redis-cluster://[user:password@]host:port,host:port`. */
  url: string;
  /** Prefix of every key and pub/sub channel, so several Herald clusters (or test runs) can share a Redis. */
  prefix: string;
  /** How long a stream's epoch and top offset outlive its last publication. */
  metaTtlMs: number;
  /** A command that gets no answer within this time fails with `unavailable`. */
  commandTimeoutMs: number;
}

/** Subscribe in batches so a resubscribe after a reconnect is a few round trips, not one per channel. */
const SUBSCRIBE_BATCH = 500;

export class RedisBroker implements Broker {
  readonly name = 'redis';
  readonly #options: RedisBrokerOptions;
  readonly #cmd: RedisConnection;
  readonly #sub: RedisConnection;
  readonly #publishScript: Script;
  readonly #publishOnceScript: Script;
  readonly #releaseClaimScript: Script;
  readonly #historyScript: Script;
  readonly #countScript: Script;
  readonly #eventScript: Script;
  /** Channels this node listens to: the source of truth for resubscribing. */
  readonly #channels = new Set<string>();
  readonly #pubPrefix: string;
  readonly #heartbeatChannel: string;
  readonly #controlChannel: string;
  readonly #controlListeners: Array<(message: string) => void> = [];
  #handler: BrokerHandler | undefined;
  #resubscribed: Array<() => void> = [];
  #closed = false;

  constructor(options: RedisBrokerOptions) {
    this.#options = options;
    this.#pubPrefix = `${options.prefix}:pub:`;
    this.#heartbeatChannel = `${options.prefix}:node:${randomBytes(8).toString('base64url')}`;
    this.#controlChannel = `${options.prefix}:control`;
    const timeoutMs = options.commandTimeoutMs;
    this.#cmd = createRedisConnection(options.url, { name: 'herald-cmd', timeoutMs });
    this.#sub = createRedisConnection(options.url, { name: 'herald-sub', timeoutMs, subscriber: true });
    for (const conn of [this.#cmd, this.#sub]) conn.on('error', () => {}); // reconnects by itself; the monitor reports it
    this.#publishScript = defineScript(this.#cmd, 'heraldPublish', PUBLISH);
    this.#publishOnceScript = defineScript(this.#cmd, 'heraldPublishOnce', PUBLISH_ONCE, 3);
    this.#releaseClaimScript = defineScript(this.#cmd, 'heraldReleaseClaim', RELEASE_CLAIM, 1);
    this.#historyScript = defineScript(this.#cmd, 'heraldHistory', HISTORY);
    this.#countScript = defineScript(this.#cmd, 'heraldCount', COUNT, 1);
    this.#eventScript = defineScript(this.#cmd, 'heraldEvent', EVENT, 1);
  }

  get connected(): boolean {
    return this.#cmd.status === 'ready' && this.#sub.status === 'ready';
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#handler = handler;
    this.#sub.on('message', (channel: string, message: string) => this.#message(channel, message));
    this.#sub.on('ready', () => void this.#resubscribeAll());
    // Start even when Redis is down: the node runs not ready, and catches up when Redis comes.
    await Promise.all([connectRedis(this.#cmd), connectRedis(this.#sub)]);
  }

  async publish(channel: string, message: PublishMessage, history: HistoryOptions, once?: PublishOnce): Promise<StreamPosition> {
    const args = [this.#pubPrefix + channel, encodeBody(message), history.size, history.ttlMs, this.#metaTtl(history), newEpoch()];
    // On a Redis Cluster the key's store entry lives in another slot than the channel: no atomic step, the claim alone guards it.
    if (once && !(this.#cmd instanceof Cluster)) {
      const [offset, epoch] = (await this.#call(this.#cmd, () =>
        this.#publishOnceScript(this.#metaKey(channel), this.#streamKey(channel), this.#idempotencyKey(once.id), ...args, JSON.stringify(channel), once.ttlMs),
      )) as [number, string];
      if (offset !== -1) return { offset, epoch };
      const answered = decodeStored(epoch);
      if (answered?.state !== 'done') throw unavailable(this.name, new Error('unreadable idempotency entry'));
      const position = JSON.parse(answered.result) as StreamPosition;
      return { offset: position.offset, epoch: position.epoch };
    }
    const [offset, epoch] = (await this.#call(this.#cmd, () => this.#publishScript(this.#metaKey(channel), this.#streamKey(channel), ...args))) as [number, string];
    return { offset, epoch };
  }

  async history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult> {
    const [top, epoch, flat] = (await this.#call(this.#cmd, () =>
      this.#historyScript(
        this.#metaKey(channel),
        this.#streamKey(channel),
        query.since ? query.since.offset : '',
        Math.min(query.limit, history.size),
        history.ttlMs,
        query.create ? '1' : '0',
        newEpoch(),
        this.#metaTtl(history),
      ),
    )) as [number, string, string[]];
    const publications: Publication[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      publications.push(decodeBody(channel, { offset: Number(flat[i]!.split('-')[0]), epoch }, flat[i + 1]!));
    }
    if (!query.since) return { offset: top, epoch, publications: publications.reverse() };
    if (epoch === '') return noStream(query.since);
    const check = checkRecovery(query.since, { offset: top, epoch }, query.since.epoch === epoch ? publications : []);
    return { offset: top, epoch, ...check, publications: check.recovered ? publications : [] };
  }

  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    try {
      await this.#call(this.#sub, () => this.#sub.subscribe(this.#pubPrefix + channel));
    } catch (err) {
      this.#channels.delete(channel);
      throw err;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#channels.delete(channel);
    // While disconnected there is nothing to undo: the reconnect only re-subscribes what is tracked.
    if (this.#sub.status === 'ready') await this.#sub.unsubscribe(this.#pubPrefix + channel).catch(() => {});
  }

  async publishEvent(event: ChannelEvent): Promise<void> {
    await this.#call(this.#cmd, () => this.#eventScript(this.#metaKey(event.channel), this.#pubPrefix + event.channel, encodeEvent(event)));
  }

  async heartbeat(token: string): Promise<void> {
    await this.#call(this.#cmd, () => this.#cmd.publish(this.#heartbeatChannel, token));
  }

  /** Drop both connections and make new ones: a stalled TCP flow will not recover on its own. */
  async resubscribe(): Promise<void> {
    const resubscribed = new Promise<void>((resolve) => this.#resubscribed.push(resolve));
    const commandsBack = reconnected(this.#cmd);
    this.#cmd.disconnect(true);
    this.#sub.disconnect(true);
    await Promise.all([resubscribed, commandsBack]);
  }

  /** Signed-request nonces shared by every node on this Redis: `SET NX PX` claims one atomically. */
  replayCache(): ReplayCache {
    return {
      claim: async (key, ttlMs) => {
        const set = await this.#call(this.#cmd, () => this.#cmd.set(`${this.#options.prefix}:nonce:${key}`, '1', 'PX', ttlMs, 'NX'));
        return set === 'OK';
      },
      close: () => {},
    };
  }

  /** Failed-authentication counts shared by every node. */
  sharedCounter(): SharedCounter {
    return { increment: async (key, windowMs) => Number(await this.#call(this.#cmd, () => this.#countScript(`${this.#options.prefix}:fail:${key}`, windowMs))) };
  }

  /** `Idempotency-Key` state shared by every node: `SET NX PX` claims a key atomically. */
  idempotencyStore(): IdempotencyStore {
    const cmd = this.#cmd;
    const key = (id: string) => this.#idempotencyKey(id);
    return {
      claim: async (id, claimTtlMs = CLAIM_TTL_MS) => {
        // A claim may expire between the SET and the GET: then claim again.
        for (let attempt = 0; attempt < 3; attempt++) {
          const claimed = await this.#call(cmd, () => cmd.set(key(id), encodeClaim(Date.now() + claimTtlMs), 'PX', claimTtlMs, 'NX'));
          if (claimed === 'OK') return { state: 'claimed' };
          const value = await this.#call(cmd, () => cmd.get(key(id)));
          const claim = value === null ? undefined : decodeStored(value);
          if (claim) return claim;
        }
        return { state: 'pending' };
      },
      complete: async (id, result, ttlMs) => void (await this.#call(cmd, () => cmd.set(key(id), encodeResult(result), 'PX', ttlMs))),
      release: async (id) => void (await this.#call(cmd, () => this.#releaseClaimScript(key(id)))),
    };
  }

  /** Control commands for every node: the pub/sub channel `<prefix>:control`, subscribed with the heartbeat. */
  controlBus(): ControlBus {
    return {
      send: async (message) => void (await this.#call(this.#cmd, () => this.#cmd.publish(this.#controlChannel, message))),
      listen: (onMessage) => void this.#controlListeners.push(onMessage),
    };
  }

  recordStore(): RecordStore {
    return redisRecordStore(this.#cmd, this.#options.prefix, (command) => this.#call(this.#cmd, command));
  }

  bucketStore(): BucketStore {
    return redisBucketStore(this.#cmd, this.#options.prefix, (command) => this.#call(this.#cmd, command));
  }

  presenceStore<E extends PresenceEntry>(space: PresenceSpace, sweepIntervalMs: number): PresenceStore<E> {
    return new RedisPresenceStore<E>({ redis: this.#cmd, prefix: this.#options.prefix, space, sweepIntervalMs });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#resubscribed.splice(0)) resolve();
    await Promise.all([this.#cmd.quit().catch(() => this.#cmd.disconnect()), this.#sub.quit().catch(() => this.#sub.disconnect())]);
  }

  /** On every (re)connect of the pub/sub connection: subscribe the heartbeat, the control channel and every tracked channel. */
  async #resubscribeAll(): Promise<void> {
    const channels = [this.#heartbeatChannel, this.#controlChannel, ...[...this.#channels].map((c) => this.#pubPrefix + c)];
    try {
      for (let i = 0; i < channels.length; i += SUBSCRIBE_BATCH) await this.#sub.subscribe(...channels.slice(i, i + SUBSCRIBE_BATCH));
    } catch {
      return; // the connection dropped again; the next 'ready' retries
    }
    if (this.#closed) return;
    this.#handler?.onResubscribed();
    for (const resolve of this.#resubscribed.splice(0)) resolve();
  }

  #message(channel: string, message: string): void {
    if (channel === this.#heartbeatChannel) return this.#handler?.onHeartbeat(message);
    if (channel === this.#controlChannel) return this.#controlListeners.forEach((listener) => listener(message));
    if (!channel.startsWith(this.#pubPrefix)) return;
    const name = channel.slice(this.#pubPrefix.length);
    if (!this.#channels.has(name)) return; // an unsubscribe is in flight
    if (message.startsWith(EVENT_PREFIX)) return this.#handler?.onEvent(decodeEvent(name, message));
    const first = message.indexOf(':');
    const second = message.indexOf(':', first + 1);
    const position = { offset: Number(message.slice(0, first)), epoch: message.slice(first + 1, second) };
    this.#handler?.onPublication(decodeBody(name, position, message.slice(second + 1)));
  }

  /** Run a command on `conn`, turning any failure into `unavailable`; refuse at once while it is down. */
  async #call<T>(conn: RedisConnection, command: () => Promise<T>): Promise<T> {
    if (conn.status !== 'ready') throw unavailable(this.name, 'not connected to Redis');
    try {
      return await command();
    } catch (err) {
      throw unavailable(this.name, err);
    }
  }

  // Both keys of a channel share a {hash tag}, so they live in one slot of a Redis Cluster.
  #metaKey(channel: string): string {
    return `${this.#options.prefix}:{${channel}}:meta`;
  }

  #streamKey(channel: string): string {
    return `${this.#options.prefix}:{${channel}}:history`;
  }

  #idempotencyKey(id: string): string {
    return `${this.#options.prefix}:idem:${id}`;
  }

  #metaTtl(history: HistoryOptions): number {
    return Math.max(this.#options.metaTtlMs, history.ttlMs);
  }
}
