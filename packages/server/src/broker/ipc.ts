/**
 * @module broker/ipc
 * The memory engine shared by the workers of `herald serve --workers N`. The primary process holds
 * the one MemoryBroker (so offsets, history and nonces are the same for every worker) and answers
 * requests from workers over the cluster IPC channel; each worker runs a `WorkerBroker` that
 * forwards its calls there and receives the publications of the channels it subscribed to.
 *
 * IPC messages are delivered in order on each channel, so a worker sees a channel's publications in
 * the order the primary's MemoryBroker produced them: the broker contract holds as it does in one
 * process. Presence, channel occupancy, `Idempotency-Key` state and failed-authentication counts
 * are held by the primary too. With the
 * Redis or NATS engine, workers do not use this: each is a node of its own.
 */
import type { Worker } from 'node:cluster';
import type { StreamPosition } from '@herald/protocol';
import { ErrorCode } from '@herald/protocol';
import type { ReplayCache } from '../auth/replay-cache.js';
import { MemoryReplayCache } from '../auth/replay-cache.js';
import { MemoryCounter, type SharedCounter } from '../auth/failure-limiter.js';
import { HeraldError } from '../errors.js';
import { IpcPresenceStore, PresenceHost, type PresenceOp } from '../presence/ipc.js';
import type { PresenceEntry, PresenceSpace, PresenceStore } from '../presence/presence.js';
import { MemoryBucketStore, MemoryRecordStore, type BucketStore, type ControlBus, type RecordStore } from './control.js';
import { MemoryIdempotencyStore, type Claim, type IdempotencyStore } from './idempotency-store.js';
import type { Broker, BrokerHandler, ChannelEvent, HistoryOptions, HistoryQuery, HistoryResult, Publication, PublishMessage } from './broker.js';
import { MemoryBroker } from './memory.js';

type Op = 'publish' | 'event' | 'history' | 'subscribe' | 'unsubscribe' | 'claim' | 'heartbeat' | 'presence' | 'idempotency' | 'count' | 'control' | 'record' | 'bucket';

interface Request {
  herald: 'req';
  id: number;
  op: Op;
  args: unknown[];
}

type ToWorker =
  | { herald: 'res'; id: number; ok: true; value: unknown }
  | { herald: 'res'; id: number; ok: false; error: { code: ErrorCode; message: string } }
  | { herald: 'pub'; publication: Publication }
  | { herald: 'evt'; event: ChannelEvent }
  | { herald: 'hb'; token: string }
  | { herald: 'ctl'; message: string }
  | { herald: 'expired'; space: PresenceSpace; channel: string; entry: PresenceEntry };

/** Worker side: a Broker whose every call is answered by the primary. */
export class WorkerBroker implements Broker {
  readonly name = 'memory';
  readonly #channels = new Set<string>();
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();
  #nextId = 1;
  #handler: BrokerHandler | undefined;
  readonly #presence = new Map<PresenceSpace, IpcPresenceStore<PresenceEntry>>();
  readonly #onMessage = (message: ToWorker) => this.#receive(message);
  readonly #controlListeners: Array<(message: string) => void> = [];

  get connected(): boolean {
    return process.connected === true;
  }

  async start(handler: BrokerHandler): Promise<void> {
    if (!process.send) throw new Error('WorkerBroker runs only in a cluster worker');
    this.#handler = handler;
    process.on('message', this.#onMessage);
  }

  async publish(channel: string, message: PublishMessage, history: HistoryOptions): Promise<StreamPosition> {
    return (await this.#call('publish', [channel, message, history])) as StreamPosition;
  }

  async publishEvent(event: ChannelEvent): Promise<void> {
    await this.#call('event', [event]);
  }

  async history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult> {
    return (await this.#call('history', [channel, query, history])) as HistoryResult;
  }

  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    await this.#call('subscribe', [channel]);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#channels.delete(channel);
    await this.#call('unsubscribe', [channel]);
  }

  async heartbeat(token: string): Promise<void> {
    await this.#call('heartbeat', [token]);
  }

  async resubscribe(): Promise<void> {
    for (const channel of this.#channels) await this.#call('subscribe', [channel]);
    this.#handler?.onResubscribed();
  }

  replayCache(): ReplayCache {
    return { claim: async (key, ttlMs) => (await this.#call('claim', [key, ttlMs])) as boolean, close: () => {} };
  }

  sharedCounter(): SharedCounter {
    return { increment: async (key, windowMs) => (await this.#call('count', [key, windowMs])) as number };
  }

  idempotencyStore(): IdempotencyStore {
    const call = (method: keyof IdempotencyStore, args: unknown[]) => this.#call('idempotency', [method, args]);
    return {
      claim: async (id, claimTtlMs) => (await call('claim', [id, claimTtlMs])) as Claim,
      complete: async (id, result, ttlMs) => void (await call('complete', [id, result, ttlMs])),
      release: async (id) => void (await call('release', [id])),
    };
  }

  /** Control commands go through the primary to every worker. */
  controlBus(): ControlBus {
    return {
      send: async (message) => void (await this.#call('control', [message])),
      listen: (onMessage) => void this.#controlListeners.push(onMessage),
    };
  }

  recordStore(): RecordStore {
    const call = (method: keyof RecordStore, args: unknown[]) => this.#call('record', [method, args]);
    return {
      put: async (key, value, expiresAt) => void (await call('put', [key, value, expiresAt])),
      get: async (keys) => ((await call('get', [keys])) as Array<string | null>).map((v) => v ?? undefined),
      remove: async (key) => (await call('remove', [key])) as boolean,
    };
  }

  bucketStore(): BucketStore {
    return { take: async (key, rate) => (await this.#call('bucket', [key, rate])) as boolean };
  }

  presenceStore<E extends PresenceEntry>(space: PresenceSpace, sweepIntervalMs: number): PresenceStore<E> {
    const store = new IpcPresenceStore<E>((op, args) => this.#call('presence', [space, sweepIntervalMs, op, args]));
    this.#presence.set(space, store as unknown as IpcPresenceStore<PresenceEntry>);
    return store;
  }

  async close(): Promise<void> {
    process.off('message', this.#onMessage);
    for (const { reject } of this.#pending.values()) reject(new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down'));
    this.#pending.clear();
  }

  #call(op: Op, args: unknown[]): Promise<unknown> {
    if (!this.connected) return Promise.reject(new HeraldError(ErrorCode.Unavailable, 'the cluster primary is gone; retry later'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A primary that died before this worker noticed: the call fails rather than the worker.
      process.send!({ herald: 'req', id, op, args } satisfies Request, undefined, undefined, (err: Error | null) => {
        if (!err || !this.#pending.delete(id)) return;
        reject(new HeraldError(ErrorCode.Unavailable, 'the cluster primary is gone; retry later'));
      });
    });
  }

  #receive(message: ToWorker): void {
    if (typeof message !== 'object' || message === null) return;
    if (message.herald === 'pub') {
      if (this.#channels.has(message.publication.channel)) this.#handler?.onPublication(message.publication);
    } else if (message.herald === 'evt') {
      if (this.#channels.has(message.event.channel)) this.#handler?.onEvent(message.event);
    } else if (message.herald === 'hb') {
      this.#handler?.onHeartbeat(message.token);
    } else if (message.herald === 'ctl') {
      for (const listener of this.#controlListeners) listener(message.message);
    } else if (message.herald === 'expired') {
      this.#presence.get(message.space)?.expired(message.channel, message.entry);
    } else if (message.herald === 'res') {
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new HeraldError(message.error.code, message.error.message));
    }
  }
}

/** Primary side: one MemoryBroker and nonce cache for every worker; publications go to the workers subscribed. */
export class BrokerHost {
  readonly #broker = new MemoryBroker();
  readonly #replay = new MemoryReplayCache();
  readonly #idempotency = new MemoryIdempotencyStore();
  readonly #counter = new MemoryCounter();
  readonly #records = new MemoryRecordStore();
  readonly #buckets = new MemoryBucketStore();
  readonly #workers = new Set<Worker>();
  /** channel → workers subscribed to it. */
  readonly #subscribers = new Map<string, Set<Worker>>();
  // A leave the primary notices (a worker exited, an entry expired) is announced by one live worker.
  readonly #presence = new PresenceHost((worker, space, channel, entry) => send(worker, { herald: 'expired', space, channel, entry }));

  async start(): Promise<void> {
    await this.#broker.start({
      onPublication: (publication) => {
        for (const worker of this.#subscribers.get(publication.channel) ?? []) send(worker, { herald: 'pub', publication });
      },
      onEvent: (event) => {
        for (const worker of this.#subscribers.get(event.channel) ?? []) send(worker, { herald: 'evt', event });
      },
      onResubscribed: () => {},
      onHeartbeat: () => {},
    });
  }

  /** Serve one worker's requests until it exits. */
  attach(worker: Worker): void {
    this.#workers.add(worker);
    worker.on('message', (message: Request) => {
      if (typeof message !== 'object' || message === null || message.herald !== 'req') return;
      this.#handle(worker, message).then(
        (value) => send(worker, { herald: 'res', id: message.id, ok: true, value }),
        (err: unknown) => {
          const error = err instanceof HeraldError ? err : new HeraldError(ErrorCode.Internal, 'internal error');
          send(worker, { herald: 'res', id: message.id, ok: false, error: { code: error.code, message: error.message } });
        },
      );
    });
    worker.on('exit', () => {
      this.#workers.delete(worker);
      for (const [channel, workers] of this.#subscribers) if (workers.delete(worker) && workers.size === 0) this.#drop(channel);
      void this.#presence.workerExited(worker);
    });
  }

  async close(): Promise<void> {
    this.#replay.close();
    await this.#presence.close();
    await this.#broker.close();
  }

  async #handle(worker: Worker, { op, args }: Request): Promise<unknown> {
    const b = this.#broker;
    switch (op) {
      case 'publish':
        return b.publish(...(args as Parameters<MemoryBroker['publish']>));
      case 'event':
        return b.publishEvent(args[0] as ChannelEvent);
      case 'history':
        return b.history(...(args as Parameters<MemoryBroker['history']>));
      case 'subscribe': {
        const channel = args[0] as string;
        let workers = this.#subscribers.get(channel);
        if (!workers) {
          this.#subscribers.set(channel, (workers = new Set()));
          await b.subscribe(channel);
        }
        workers.add(worker);
        return undefined;
      }
      case 'unsubscribe': {
        const channel = args[0] as string;
        const workers = this.#subscribers.get(channel);
        if (workers?.delete(worker) && workers.size === 0) this.#drop(channel);
        return undefined;
      }
      case 'claim':
        return this.#replay.claim(args[0] as string, args[1] as number);
      case 'heartbeat':
        // Back through the same channel that carries publications to this worker.
        send(worker, { herald: 'hb', token: args[0] as string });
        return undefined;
      case 'count':
        return this.#counter.increment(args[0] as string, args[1] as number);
      case 'control':
        for (const w of this.#workers) send(w, { herald: 'ctl', message: args[0] as string });
        return undefined;
      case 'record': {
        const [method, [key, ...rest]] = args as [keyof RecordStore, [unknown, ...unknown[]]];
        // undefined does not survive IPC inside an array: absent values travel as null.
        if (method === 'get') return (await this.#records.get(key as string[])).map((v) => v ?? null);
        if (method === 'put') return this.#records.put(key as string, rest[0] as string, (rest[1] ?? undefined) as number | undefined);
        return this.#records.remove(key as string);
      }
      case 'bucket':
        return this.#buckets.take(args[0] as string, args[1] as number);
      case 'idempotency': {
        const [method, [id, ...rest]] = args as [keyof IdempotencyStore, [string, ...unknown[]]];
        // An absent TTL crosses the IPC channel as null.
        if (method === 'claim') return this.#idempotency.claim(id, (rest[0] as number | null) ?? undefined);
        if (method === 'complete') return this.#idempotency.complete(id, rest[0] as string, rest[1] as number);
        return this.#idempotency.release(id);
      }
      case 'presence': {
        const [space, sweepIntervalMs, presenceOp, presenceArgs] = args as [PresenceSpace, number, PresenceOp, unknown[]];
        return this.#presence.handle(worker, space, sweepIntervalMs, presenceOp, presenceArgs);
      }
    }
  }

  #drop(channel: string): void {
    this.#subscribers.delete(channel);
    void this.#broker.unsubscribe(channel);
  }
}

function send(worker: Worker, message: ToWorker): void {
  // A worker that has just exited still looks connected until its channel's end is read: the
  // write then fails (EPIPE), and without a callback that error would crash the primary. What it
  // was sent is moot; its exit is handled on 'exit'.
  if (worker.isConnected()) worker.send(message, () => {});
}
