/**
 * @module broker/nats
 * Engine for several nodes sharing a NATS server with JetStream. One stream holds every channel's
 * recent publications, one subject per channel (`<prefix>.h.<channel>`); the stream republishes
 * each stored message to a core subject (`<prefix>.p.<channel>`) that nodes subscribe to.
 *
 * How the contract is met:
 * - Atomic offset + append: a publication carries its offset and epoch in headers and is published
 *   with `Nats-Expected-Last-Subject-Sequence` = the stream sequence of the channel's previous
 *   message. JetStream refuses it if any other publication got in between: offsets can never
 *   repeat or skip. A node queues its own publishes per channel (channel-queue.ts), so only
 *   another node can get in between; then it retries with the new head until the timeout.
 * - Publish as part of the same step: the stream's RePublish sends exactly the messages it stored,
 *   in stream order, so nodes see only accepted publications and in offset order.
 * - History: each message also carries the stream sequence of the channel's previous message, so
 *   history is read backwards from the channel's last message, one direct lookup per publication
 *   returned (limitation: no batch read on NATS 2.9). Retention per channel is the stream's
 *   `max_msgs_per_subject` and `max_age`: the largest size and TTL of any namespace; smaller
 *   namespace limits are applied when reading.
 * - Epoch: kept in every message. When a channel's messages are all gone (idle past the stream's
 *   max age, stream lost), its next publication starts a new epoch.
 * Key layout and limitations: docs/engines.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { StreamPosition } from '@herald/protocol';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, headers, nanos, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { CLAIM_TTL_MS, decodeStored, encodeClaim, encodeResult, type Claim, type IdempotencyStore } from './idempotency-store.js';
import { ChannelQueue } from './channel-queue.js';
import { BUCKET_IDLE_MS, type BucketStore, type ControlBus, type RecordStore } from './control.js';
import { natsBucketStore, natsRecordStore } from './nats-control.js';
import { isWrongLastSequence, mutateKey } from './nats-kv.js';
import type { SharedCounter } from '../auth/failure-limiter.js';
import type { ReplayCache } from '../auth/replay-cache.js';
import { HeraldError } from '../errors.js';
import { NatsPresenceStore } from '../presence/nats.js';
import type { PresenceEntry, PresenceSpace, PresenceStore } from '../presence/presence.js';
import {
  checkRecovery,
  decodeBody,
  encodeBody,
  newEpoch,
  noStream,
  unavailable,
  decodeEvent,
  encodeEvent,
  EVENT_PREFIX,
  type Broker,
  type BrokerHandler,
  type ChannelEvent,
  type HistoryOptions,
  type HistoryQuery,
  type HistoryResult,
  type Publication,
  type PublishMessage,
  type PublishOnce,
} from './broker.js';

export interface NatsBrokerOptions {
  servers: string[];
  /** Prefix of every subject and stream name. */
  prefix: string;
  storage: 'file' | 'memory';
  replicas: number;
  /** Largest history size of any namespace: the stream keeps this many per channel (at least 1, for the offset). */
  maxHistorySize: number;
  /** Longest history TTL of any namespace: the stream's max age. */
  maxHistoryTtlMs: number;
  /** A request unanswered this long fails with `unavailable`. */
  timeoutMs: number;
}

const OFFSET = 'Herald-Offset';
const EPOCH = 'Herald-Epoch';
/** Stream sequence of the channel's previous message (0 for the first of an epoch). */
const PREV = 'Herald-Prev';
const FIRST_CONNECT_RETRY_MS = 1000;
/** Channel heads this node remembers, to skip a lookup before publishing. */
const MAX_CACHED_HEADS = 10_000;

interface Head extends StreamPosition {
  seq: number;
}

export class NatsBroker implements Broker {
  readonly name = 'nats';
  readonly #options: NatsBrokerOptions;
  readonly #stream: string;
  readonly #heartbeatSubject: string;
  readonly #controlListeners: Array<(message: string) => void> = [];
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #up = false;
  #handler: BrokerHandler | undefined;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #heads = new Map<string, Head>();
  /** Publishes wait here for the channel's previous one: a node never races itself for the head. */
  readonly #appends = new ChannelQueue();
  #nonceStream: Promise<void> | undefined;
  readonly #buckets = new Map<string, Promise<KV>>();
  #reconnected: Array<() => void> = [];
  #closed = false;
  /** Why the first connection could not be set up (e.g. JetStream is off), for the error message. */
  #setupError: unknown;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: NatsBrokerOptions) {
    this.#options = options;
    this.#stream = `${options.prefix}-history`;
    this.#heartbeatSubject = `${options.prefix}.node.${randomBytes(8).toString('hex')}`;
  }

  get connected(): boolean {
    return this.#up && this.#nc !== undefined && !this.#nc.isClosed();
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#handler = handler;
    // Start even when NATS is down: the node runs not ready, and connects when NATS comes.
    await this.#connect();
  }

  async publish(channel: string, message: PublishMessage, _history: HistoryOptions, once?: PublishOnce): Promise<StreamPosition> {
    this.#ready();
    const body = encodeBody(message);
    const deadline = performance.now() + this.#options.timeoutMs;
    return this.#appends.run(channel, () => this.#append(channel, body, deadline, once?.id));
  }

  /**
   * One conditional append, this node's only one in flight on the channel (see `#appends`).
   * `msgId` (an idempotency key's store id) makes JetStream store the message once within the
   * stream's duplicate window: a node that died between the append and recording its answer, or
   * whose reply was lost, cannot make a retry publish again; the retry gets the first append's position.
   */
  async #append(channel: string, body: string, deadline: number, msgId?: string): Promise<StreamPosition> {
    const subject = this.#subject('h', channel);
    for (let conflicts = 0; ; ) {
      const js = this.#ready().js;
      const left = deadline - performance.now();
      // The whole timeout went on waiting behind this channel's earlier publishes, or on losing to other nodes.
      if (left <= 0) throw unavailable(this.name, `not stored within ${this.#options.timeoutMs} ms${conflicts ? ` (${conflicts} times another node got in first)` : ''}`);
      try {
        const head = this.#heads.get(channel) ?? (await this.#head(subject));
        const next: Head = { offset: (head?.offset ?? 0) + 1, epoch: head?.epoch ?? newEpoch(), seq: 0 };
        const expected = head?.seq ?? 0;
        const ack = await js.publish(subject, body, { headers: positionHeaders(next, expected), expect: { lastSubjectSequence: expected }, timeout: left, ...(msgId ? { msgID: msgId } : {}) });
        if (ack.duplicate) {
          this.#heads.delete(channel);
          const first = await this.#get({ seq: ack.seq });
          if (first) return positionOf(first);
          throw unavailable(this.name, `publish ${msgId} was stored before, but its message is gone`);
        }
        this.#remember(channel, { ...next, seq: ack.seq });
        return { offset: next.offset, epoch: next.epoch };
      } catch (err) {
        this.#heads.delete(channel);
        // Another node published first: read the new head and try again, until the deadline.
        if (!isWrongLastSequence(err)) throw unavailable(this.name, err);
        conflicts++;
      }
    }
  }

  async history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult> {
    this.#ready();
    const subject = this.#subject('h', channel);
    try {
      let last = await this.#get({ last_by_subj: subject });
      if (!last && query.create) last = await this.#create(subject);
      if (!last) return noStream(query.since);
      const top = positionOf(last);
      const since = query.since;
      if (!since) return { ...top, publications: await this.#readBack(channel, last, Math.min(query.limit, history.size), history.ttlMs) };
      const missed = since.epoch === top.epoch && since.offset < top.offset ? top.offset - since.offset : 0;
      // More missed than the namespace keeps: truncated without reading anything.
      const available = missed > 0 && missed <= history.size ? await this.#readBack(channel, last, missed, history.ttlMs) : [];
      const check = checkRecovery(since, top, available);
      return { ...top, ...check, publications: check.recovered ? available.slice(0, query.limit) : [] };
    } catch (err) {
      throw unavailable(this.name, err);
    }
  }

  async subscribe(channel: string): Promise<void> {
    const { nc } = this.#ready();
    this.#subscriptions.get(channel)?.unsubscribe();
    const sub = nc.subscribe(this.#subject('p', channel), {
      callback: (err, msg) => {
        if (err) return;
        // Ephemeral events are published straight to the fan-out subject, without headers.
        if (!msg.headers) {
          const text = msg.string();
          if (text.startsWith(EVENT_PREFIX)) this.#handler?.onEvent(decodeEvent(channel, text));
          return;
        }
        const position = positionFromHeaders(msg.headers);
        if (position.offset > 0) this.#handler?.onPublication(decodeBody(channel, position, msg.string()));
      },
    });
    this.#subscriptions.set(channel, sub);
    try {
      // The server has registered the subscription once it answers a ping sent after it.
      await nc.flush();
    } catch (err) {
      sub.unsubscribe();
      this.#subscriptions.delete(channel);
      throw unavailable(this.name, err);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#subscriptions.get(channel)?.unsubscribe();
    this.#subscriptions.delete(channel);
  }

  async publishEvent(event: ChannelEvent): Promise<void> {
    this.#ready().nc.publish(this.#subject('p', event.channel), encodeEvent(event));
  }

  async heartbeat(token: string): Promise<void> {
    this.#ready().nc.publish(this.#heartbeatSubject, token);
  }

  /** Drop the connection and make a new one; the client re-sends every subscription on it. */
  async resubscribe(): Promise<void> {
    const { nc } = this.#ready();
    const done = new Promise<void>((resolve) => this.#reconnected.push(resolve));
    await nc.reconnect();
    await done;
  }

  /**
   * Nonces shared by every node: a stream keeping one message per nonce subject for the TTL; a
   * claim publishes with "expect no message on this subject yet", which only one node can win.
   */
  replayCache(): ReplayCache {
    return {
      claim: async (key, ttlMs) => {
        const { js, jsm } = this.#ready();
        try {
          this.#nonceStream ??= ensureStream(jsm, {
            name: `${this.#options.prefix}-nonces`,
            subjects: [`${this.#options.prefix}.nonce.>`],
            max_msgs_per_subject: 1,
            max_age: nanos(ttlMs),
            storage: StorageType.Memory,
            num_replicas: this.#options.replicas,
            discard: DiscardPolicy.Old,
          }).catch((err: unknown) => {
            this.#nonceStream = undefined;
            throw err;
          });
          await this.#nonceStream;
          await js.publish(this.#subject('nonce', key), '', { expect: { lastSubjectSequence: 0 }, timeout: this.#options.timeoutMs });
          return true;
        } catch (err) {
          if (isWrongLastSequence(err)) return false;
          throw unavailable(this.name, err);
        }
      },
      close: () => {},
    };
  }

  /** `Idempotency-Key` state shared by every node, in the bucket `<prefix>-idempotency` (max age `ttlMs`); claims are compare-and-set. */
  idempotencyStore(ttlMs: number): IdempotencyStore {
    const bucket = () => this.#bucket('idempotency', ttlMs);
    return {
      claim: (id, claimTtlMs = CLAIM_TTL_MS) =>
        this.#kv(async () =>
          mutateKey<string, Claim>(await bucket(), id, (value) => {
            const existing = value === undefined ? undefined : decodeStored(value);
            return existing ? { result: existing } : { write: encodeClaim(Date.now() + claimTtlMs), result: { state: 'claimed' } };
          }),
        ),
      complete: async (id, result) => void (await this.#kv(async () => (await bucket()).put(id, JSON.stringify(encodeResult(result))))),
      // An answer recorded meanwhile (the publish went through, its reply was lost) stays.
      release: (id) => this.#kv(async () => mutateKey<string, void>(await bucket(), id, (value) => ({ remove: value !== undefined && !value.startsWith('d:'), result: undefined }))),
    };
  }

  /** Failed-authentication counts shared by every node, in the bucket `<prefix>-failures`. */
  sharedCounter(): SharedCounter {
    return {
      increment: (key, windowMs) =>
        this.#kv(async () => {
          // Keys allow only [-/_=.a-zA-Z0-9]; an IPv6 address does not fit.
          const k = createHash('sha256').update(key).digest('base64url');
          return mutateKey<{ n: number; until: number }, number>(await this.#bucket('failures', windowMs), k, (c) => {
            const now = Date.now();
            const next = c && c.until > now ? { n: c.n + 1, until: c.until } : { n: 1, until: now + windowMs };
            return { write: next, result: next.n };
          });
        }),
    };
  }

  /** Control commands for every node: the subject `<prefix>.control`, subscribed when the connection is set up. */
  controlBus(): ControlBus {
    return {
      send: async (message) => this.#ready().nc.publish(`${this.#options.prefix}.control`, message),
      listen: (onMessage) => void this.#controlListeners.push(onMessage),
    };
  }

  recordStore(): RecordStore {
    return natsRecordStore(async (call) => this.#kv(async () => call(await this.#bucket('control'))));
  }

  bucketStore(): BucketStore {
    return natsBucketStore(async (call) => this.#kv(async () => call(await this.#bucket('buckets', BUCKET_IDLE_MS))));
  }

  /** A key-value bucket per space (`<prefix>-presence`, `<prefix>-occupancy`), created on first use. */
  presenceStore<E extends PresenceEntry>(space: PresenceSpace, sweepIntervalMs: number): PresenceStore<E> {
    return new NatsPresenceStore<E>({ bucket: () => this.#bucket(space), connected: () => this.connected, sweepIntervalMs });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const resolve of this.#reconnected.splice(0)) resolve();
    await this.#nc?.drain().catch(() => this.#nc?.close());
  }

  /** Until the first connection is set up, try again every second; after that the client reconnects by itself. */
  async #connect(): Promise<void> {
    if (this.#closed) return;
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: this.#options.servers, name: 'herald', maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: this.#options.timeoutMs });
      await this.#setup(nc);
    } catch (err) {
      this.#setupError = err;
      await nc?.close().catch(() => {});
      this.#retry = setTimeout(() => void this.#connect(), FIRST_CONNECT_RETRY_MS);
    }
  }

  async #setup(nc: NatsConnection): Promise<void> {
    if (this.#closed) return void (await nc.close());
    this.#js = jetstream(nc, { timeout: this.#options.timeoutMs });
    this.#jsm = await jetstreamManager(nc, { timeout: this.#options.timeoutMs });
    await this.#ensureHistoryStream();
    nc.subscribe(this.#heartbeatSubject, {
      callback: (err, msg) => {
        if (!err) this.#handler?.onHeartbeat(msg.string());
      },
    });
    nc.subscribe(`${this.#options.prefix}.control`, {
      callback: (err, msg) => {
        if (!err) for (const listener of this.#controlListeners) listener(msg.string());
      },
    });
    await nc.flush();
    this.#nc = nc;
    this.#setupError = undefined;
    this.#up = true;
    void this.#watch(nc);
  }

  async #ensureHistoryStream(): Promise<void> {
    const { prefix, maxHistorySize, maxHistoryTtlMs, storage, replicas } = this.#options;
    await ensureStream(this.#jsm!, {
      name: this.#stream,
      subjects: [`${prefix}.h.>`],
      max_msgs_per_subject: Math.max(1, maxHistorySize),
      max_age: nanos(maxHistoryTtlMs),
      storage: storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: replicas,
      discard: DiscardPolicy.Old,
      republish: { src: `${prefix}.h.>`, dest: `${prefix}.p.>` },
    });
  }

  /** Follow the connection: publications are lost while it is down, so a reconnect is reported. */
  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#up = false;
      if (status.type !== 'reconnect') continue;
      // The server may have restarted without the stream, and heads may be stale.
      this.#heads.clear();
      this.#nonceStream = undefined;
      this.#buckets.clear();
      try {
        await this.#ensureHistoryStream();
        await nc.flush();
      } catch {
        continue; // dropped again: the next reconnect retries
      }
      this.#up = true;
      this.#handler?.onResubscribed();
      for (const resolve of this.#reconnected.splice(0)) resolve();
    }
  }

  #ready(): { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager } {
    if (!this.connected) throw unavailable(this.name, this.#setupError ?? 'not connected to NATS');
    return { nc: this.#nc!, js: this.#js!, jsm: this.#jsm! };
  }

  /** The bucket `<prefix>-<name>`, created on first use (entries expire after `ttlMs`, if given). */
  #bucket(name: PresenceSpace | 'idempotency' | 'failures' | 'control' | 'buckets', ttlMs?: number): Promise<KV> {
    const { js } = this.#ready();
    let bucket = this.#buckets.get(name);
    if (!bucket) {
      const { storage, replicas, prefix } = this.#options;
      bucket = new Kvm(js).create(`${prefix}-${name}`, { history: 1, storage: storage === 'memory' ? StorageType.Memory : StorageType.File, replicas, ...(ttlMs ? { ttl: ttlMs } : {}) });
      bucket.catch(() => this.#buckets.delete(name));
      this.#buckets.set(name, bucket);
    }
    return this.#kv(() => bucket);
  }

  /** Run a key-value call, turning any failure into `unavailable`. */
  async #kv<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw err instanceof HeraldError ? err : unavailable(this.name, err);
    }
  }

  #subject(kind: 'h' | 'p' | 'nonce', name: string): string {
    // '.' separates subject tokens; '~' is not allowed in channel names, so the mapping is reversible.
    return `${this.#options.prefix}.${kind}.${name.replaceAll('.', '~')}`;
  }

  async #get(query: { last_by_subj: string } | { seq: number }): Promise<StoredMsg | null> {
    return this.#jsm!.streams.getMessage(this.#stream, query);
  }

  async #head(subject: string): Promise<Head | undefined> {
    const last = await this.#get({ last_by_subj: subject });
    return last ? { ...positionOf(last), seq: last.seq } : undefined;
  }

  /** Give a new channel its epoch with a marker message (offset 0, never delivered or returned). */
  async #create(subject: string): Promise<StoredMsg | null> {
    const marker = { offset: 0, epoch: newEpoch() };
    try {
      await this.#js!.publish(subject, '', { headers: positionHeaders(marker, 0), expect: { lastSubjectSequence: 0 }, timeout: this.#options.timeoutMs });
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err; // else another node created it first
    }
    return this.#get({ last_by_subj: subject });
  }

  /** Up to `count` publications ending at `last`, oldest first, following each message's link to the previous one. */
  async #readBack(channel: string, last: StoredMsg, count: number, ttlMs: number): Promise<Publication[]> {
    const expiredBefore = Date.now() - ttlMs;
    const out: Publication[] = [];
    let msg: StoredMsg | null = last;
    while (msg && out.length < count) {
      const position = positionOf(msg);
      if (position.offset === 0 || msg.time.getTime() <= expiredBefore) break;
      out.push(decodeBody(channel, position, msg.string()));
      const prev: number = Number(msg.header.get(PREV));
      msg = prev > 0 ? await this.#get({ seq: prev }) : null; // null: discarded by the stream's limits
    }
    return out.reverse();
  }

  #remember(channel: string, head: Head): void {
    if (this.#heads.size >= MAX_CACHED_HEADS) this.#heads.delete(this.#heads.keys().next().value!);
    this.#heads.set(channel, head);
  }
}

function positionHeaders(position: StreamPosition, prev: number): MsgHdrs {
  const h = headers();
  h.set(OFFSET, String(position.offset));
  h.set(EPOCH, position.epoch);
  h.set(PREV, String(prev));
  return h;
}

function positionFromHeaders(h: MsgHdrs): StreamPosition {
  return { offset: Number(h.get(OFFSET)), epoch: h.get(EPOCH) };
}

function positionOf(msg: StoredMsg): StreamPosition {
  return positionFromHeaders(msg.header);
}

/** Create the stream, or bring an existing one to this configuration. */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add(config);
    return;
  }
  const { name, ...update } = config;
  await jsm.streams.update(name, update);
}
