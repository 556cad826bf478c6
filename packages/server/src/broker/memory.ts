/**
 * @module broker/memory
 * Single-node engine: streams live in this process. Offsets are assigned synchronously, so the
 * per-channel atomicity the contract asks for comes for free; history is bounded by size and TTL.
 */
import type { StreamPosition } from '@herald/protocol';
import { checkRecovery, newEpoch, noStream, type Broker, type BrokerHandler, type ChannelEvent, type HistoryOptions, type HistoryQuery, type HistoryResult, type Publication, type PublishMessage } from './broker.js';

interface Entry {
  publication: Publication;
  expiresAt: number;
}

class Stream {
  offset = 0;
  /** Entries in offset order; `head` skips trimmed ones so trimming is O(1). */
  entries: Entry[] = [];
  head = 0;
  touchedAt = Date.now();

  constructor(readonly epoch: string = newEpoch()) {}

  append(publication: Publication, history: HistoryOptions, now: number): void {
    this.touchedAt = now;
    if (history.size === 0) return;
    this.entries.push({ publication, expiresAt: now + history.ttlMs });
    this.trim(history.size, now);
  }

  /** Live entries after trimming by size and expiry. */
  live(size: number, now: number): Entry[] {
    this.trim(size, now);
    return this.entries.length === this.head ? [] : this.entries.slice(this.head);
  }

  trim(size: number, now: number): void {
    const entries = this.entries;
    while (entries.length - this.head > size) this.head++;
    while (this.head < entries.length && entries[this.head]!.expiresAt <= now) this.head++;
    if (this.head > 64 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }

  get empty(): boolean {
    return this.head === this.entries.length;
  }
}

export interface MemoryBrokerOptions {
  /** How often idle, empty, unsubscribed streams are forgotten. */
  sweepIntervalMs?: number;
}

export class MemoryBroker implements Broker {
  readonly name = 'memory';
  /** Nothing to lose a connection to. */
  readonly connected = true;
  /**
   * A channel that was published to has a Stream. One that only has a position (a subscriber
   * asked for it, nothing was published yet) has just its epoch: under connection churn, where
   * most channels are subscribed once and left, that is ~100 bytes a channel instead of ~260
   * (docs/capacity.md, "Connection churn"), with the same answers to a returning client.
   */
  readonly #streams = new Map<string, Stream | string>();
  /** Per channel, the longest TTL it was used with: a stream is forgotten only after that much idleness. */
  readonly #ttl = new Map<string, number>();
  readonly #subscribed = new Set<string>();
  #handler: BrokerHandler | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  readonly #sweepIntervalMs: number;

  constructor(options: MemoryBrokerOptions = {}) {
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.#handler = handler;
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => this.#sweep(), this.#sweepIntervalMs).unref();
  }

  async publish(channel: string, message: PublishMessage, history: HistoryOptions): Promise<StreamPosition> {
    const now = Date.now();
    const stream = this.#stream(channel, history);
    const publication: Publication = { channel, offset: ++stream.offset, epoch: stream.epoch, data: message.data };
    if (message.event !== undefined) publication.event = message.event;
    if (message.key !== undefined) publication.key = message.key;
    if (message.info !== undefined) publication.info = message.info;
    if (message.echo === false) publication.echo = false;
    stream.append(publication, history, now);
    if (this.#subscribed.has(channel)) this.#handler?.onPublication(publication);
    return { offset: publication.offset, epoch: publication.epoch };
  }

  async publishEvent(event: ChannelEvent): Promise<void> {
    this.#handler?.onEvent(event);
  }

  async history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult> {
    let stream = this.#streams.get(channel);
    if (stream === undefined) {
      if (!query.create) return noStream(query.since);
      stream = newEpoch();
      this.#streams.set(channel, stream);
    }
    const top = typeof stream === 'string' ? { offset: 0, epoch: stream } : { offset: stream.offset, epoch: stream.epoch };
    const live = typeof stream === 'string' ? [] : stream.live(history.size, Date.now()).map((e) => e.publication);
    if (!query.since) return { ...top, publications: query.limit === 0 ? [] : live.slice(-query.limit) };
    const since = query.since;
    const after = since.epoch === top.epoch ? live.filter((p) => p.offset > since.offset) : [];
    const check = checkRecovery(since, top, after);
    return { ...top, ...check, publications: check.recovered ? after.slice(0, query.limit) : [] };
  }

  async subscribe(channel: string): Promise<void> {
    this.#subscribed.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#subscribed.delete(channel);
  }

  async heartbeat(token: string): Promise<void> {
    // Asynchronous like a real round trip, so the caller's bookkeeping runs first.
    queueMicrotask(() => this.#handler?.onHeartbeat(token));
  }

  async resubscribe(): Promise<void> {
    this.#handler?.onResubscribed();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#streams.clear();
  }

  #stream(channel: string, history: HistoryOptions): Stream {
    let stream = this.#streams.get(channel);
    if (!(stream instanceof Stream)) {
      // The first publication keeps the epoch a subscriber was already given.
      stream = new Stream(stream);
      this.#streams.set(channel, stream);
    }
    if ((this.#ttl.get(channel) ?? 0) < history.ttlMs) this.#ttl.set(channel, history.ttlMs);
    return stream;
  }

  /** Forget streams whose history has expired and that nobody here listens to, so memory follows activity. */
  #sweep(): void {
    const now = Date.now();
    for (const [channel, stream] of this.#streams) {
      if (this.#subscribed.has(channel)) continue;
      // A stream nothing was published to holds no history: forget it as soon as nobody listens.
      if (typeof stream === 'string') {
        this.#streams.delete(channel);
        continue;
      }
      if (now - stream.touchedAt < (this.#ttl.get(channel) ?? 0)) continue;
      stream.trim(Number.MAX_SAFE_INTEGER, now);
      if (stream.empty) {
        this.#streams.delete(channel);
        this.#ttl.delete(channel);
      }
    }
  }
}
