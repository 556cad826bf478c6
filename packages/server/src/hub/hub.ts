/**
 * @module hub/hub
 * Local subscriptions (channel → subscribers) and fan-out.
 *
 * Why it is shaped this way (see DESIGN.md): on loopback the kernel's per-write cost dominates,
 * so each publication is encoded once per transport and only *queued* on each subscriber; a
 * flush once per event-loop turn writes everything a socket has queued in one write. Fan-out
 * and flushing both run in slices so a huge channel never stalls publishes, pings or accepts,
 * and a publish is acknowledged as soon as the engine holds it, before any of this runs.
 *
 * The engine's pub/sub delivers at most once: across a reconnect (or any break) publications can
 * be lost. The hub therefore watches each channel's offsets and fills a gap from history before
 * delivering on, so subscribers still see every offset once and in order; when history cannot
 * fill it, they are asked to reconnect and recover rather than silently skip.
 */
import { ErrorCode, type StreamPosition, type SubscribeResult } from '@herald/protocol';
import type { Broker, BrokerHandler, ChannelEvent, HistoryOptions, HistoryResult, Publication, PublishMessage } from '../broker/broker.js';
import type { ResolvedChannel } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { Logger } from 'pino';
import { Counters } from '../metrics/counters.js';
import type { Encoder, Subscriber } from './subscriber.js';

/** Deliveries queued per turn before yielding to I/O. Queuing is a pointer push: cheap. */
const FANOUT_SLICE = 65_536;
/** Sockets written per turn before yielding: each is a syscall, the expensive part. */
const FLUSH_SLICE = 4_096;
/** Fan-outs awaiting their latency observation before they are observed regardless. */
const MAX_UNFLUSHED = 10_000;
/** Live publications buffered for one subscription while its history is being read. */
const MAX_PENDING = 10_000;
/** Reading a gap from history is retried this often, this far apart, before subscribers are told to recover. */
const GAP_READ_ATTEMPTS = 20;
const GAP_RETRY_MS = 500;

export class Subscription {
  live = false;
  cancelled = false;
  /** Whether this subscriber asked for presence join/leave events. */
  events = false;
  pending: Publication[] = [];
  /** Last position delivered: anything at or before it is a duplicate. */
  offset = 0;
  epoch = '';
  constructor(
    readonly channel: string,
    readonly subscriber: Subscriber,
  ) {}
}

interface ChannelEntry {
  subscriptions: Set<Subscription>;
  /** Publications fanned out here since the entry was created (per-channel rates, admin page). */
  published: number;
  /** Resolves when the engine delivers this channel to this node. */
  ready: Promise<void>;
  history: HistoryOptions;
  /** How far this node's live stream got: a publication that skips past it reveals a gap. */
  position?: StreamPosition;
  /** Set while a gap is read from history; live publications wait here meanwhile. */
  held?: Publication[];
}

interface Job {
  /** Queues up to `budget` deliveries; returns how many it used, or -1 once every subscriber is served. */
  step(budget: number, markDirty: (s: Subscriber) => void, counters: Counters): number;
}

/** A client that publishes with echo off does not get its own publication live. */
function heldBack(sub: Subscription, pub: Publication): boolean {
  return pub.echo === false && pub.info?.client !== undefined && pub.info.client === sub.subscriber.id;
}

/** Ephemeral events go to live subscriptions that asked for them; they never touch offsets. */
class EventJob implements Job {
  readonly #frames = new Map<Encoder, Buffer>();
  readonly #iterator: Iterator<Subscription>;
  constructor(
    readonly event: ChannelEvent,
    subscriptions: Set<Subscription>,
  ) {
    this.#iterator = subscriptions.values();
  }

  step(budget: number, markDirty: (s: Subscriber) => void): number {
    for (let used = 0; used < budget; used++) {
      const next = this.#iterator.next();
      if (next.done) return -1;
      const sub = next.value;
      const encoder = sub.subscriber.encoder;
      if (sub.cancelled || !sub.live || !sub.events || !encoder.event) continue;
      let frame = this.#frames.get(encoder);
      if (!frame) this.#frames.set(encoder, (frame = encoder.event(this.event)));
      sub.subscriber.send(frame);
      markDirty(sub.subscriber);
    }
    return budget;
  }
}

class FanoutJob implements Job {
  readonly #frames = new Map<Encoder, Buffer>();
  readonly #iterator: Iterator<Subscription>;
  /** When this node got the publication from the engine (for the fan-out latency histogram). */
  readonly started = performance.now();
  constructor(
    readonly publication: Publication,
    subscriptions: Set<Subscription>,
  ) {
    this.#iterator = subscriptions.values();
  }

  /** Queues up to `budget` deliveries; returns how many it used, or -1 once every subscriber is served. */
  step(budget: number, markDirty: (s: Subscriber) => void, counters: Counters): number {
    const pub = this.publication;
    // Counted in locals and added once per slice: no per-delivery work beyond an increment.
    let delivered = 0;
    let dropped = 0;
    for (let used = 0; used < budget; used++) {
      const next = this.#iterator.next();
      if (next.done) {
        counters.delivered += delivered;
        counters.dropped += dropped;
        return -1;
      }
      const sub = next.value;
      if (sub.cancelled) continue;
      if (!sub.live) {
        if (sub.pending.push(pub) > MAX_PENDING) sub.subscriber.overflow();
        continue;
      }
      if (pub.epoch === sub.epoch && pub.offset <= sub.offset) continue;
      sub.offset = pub.offset;
      sub.epoch = pub.epoch;
      if (heldBack(sub, pub)) continue;
      const encoder = sub.subscriber.encoder;
      let frame = this.#frames.get(encoder);
      if (!frame) this.#frames.set(encoder, (frame = encoder.message(pub)));
      if (sub.subscriber.send(frame, pub)) delivered++;
      else dropped++;
      markDirty(sub.subscriber);
    }
    counters.delivered += delivered;
    counters.dropped += dropped;
    return budget;
  }
}

export interface SubscribeOptions {
  since?: StreamPosition;
  /** Called with the result before any publication is queued, so a reply precedes the stream. */
  onResult(result: SubscribeResult): void;
  /** Called instead of onResult when the engine failed or the subscription was cancelled first. */
  onError(err: unknown): void;
}

export class Hub implements Pick<BrokerHandler, 'onPublication' | 'onResubscribed'> {
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #jobs: Job[] = [];
  readonly #dirty = new Set<Subscriber>();
  #scheduled = false;
  readonly #markDirty = (s: Subscriber) => this.#dirtyAndSchedule(s);
  /** Start times of fan-outs fully queued whose last write waits for the flush to finish. */
  #unflushed: number[] = [];
  /** Told, once per publication, the seconds from its arrival to its last local write. */
  onFanout: ((seconds: number) => void) | undefined;

  /** Told when a channel gets its first subscriber on this node, and when it loses its last (cluster-wide occupancy: presence/occupancy.ts). */
  onOccupancy: ((channel: string, occupied: boolean) => void) | undefined;

  constructor(
    readonly broker: Broker,
    readonly log: Pick<Logger, 'warn'> = { warn: () => {} },
    readonly counters = new Counters(),
  ) {}

  async publish(channel: ResolvedChannel, message: PublishMessage): Promise<StreamPosition> {
    const position = await this.broker.publish(channel.name, message, historyOptions(channel));
    this.counters.published++;
    return position;
  }

  onPublication(publication: Publication): void {
    const entry = this.#channels.get(publication.channel);
    if (!entry) return;
    if (entry.held) {
      entry.held.push(publication);
      return;
    }
    const at = entry.position;
    if (at && at.epoch === publication.epoch && publication.offset > at.offset + 1) {
      entry.held = [publication];
      void this.#fillGap(publication.channel, entry);
      return;
    }
    this.#fanout(entry, publication);
  }

  /** The engine's subscriptions were re-made: whatever was published meanwhile is read from history. */
  onResubscribed(): void {
    for (const [channel, entry] of this.#channels) {
      if (entry.position && !entry.held) {
        entry.held = [];
        void this.#fillGap(channel, entry);
      }
    }
  }

  #fanout(entry: ChannelEntry, publication: Publication): void {
    entry.published++;
    const at = entry.position;
    if (!at || at.epoch !== publication.epoch || publication.offset > at.offset) entry.position = { offset: publication.offset, epoch: publication.epoch };
    this.#jobs.push(new FanoutJob(publication, entry.subscriptions));
    this.#schedule();
  }

  /** Deliver what history holds after `entry.position`, then what was held back meanwhile. */
  async #fillGap(channel: string, entry: ChannelEntry): Promise<void> {
    const since = entry.position!;
    let lost: string | undefined;
    try {
      const result = await this.#readGap(channel, entry, since);
      if (!result) return; // every subscriber left meanwhile
      if (result.recovered) for (const publication of result.publications) this.#fanout(entry, publication);
      else lost = `history cannot fill it (${result.reason ?? 'unknown'})`;
    } catch (err) {
      lost = err instanceof Error ? err.message : String(err);
    }
    if (lost !== undefined && this.#channels.get(channel) === entry) {
      const reason = `publications after offset ${since.offset} were lost between nodes: ${lost}`;
      this.log.warn({ channel, subscribers: entry.subscriptions.size }, `${reason}; asking subscribers to reconnect and recover`);
      for (const sub of entry.subscriptions) sub.subscriber.resync(reason);
    }
    const held = entry.held ?? [];
    entry.held = undefined;
    for (const publication of held) this.onPublication(publication);
  }

  /** Read history after `since`, retrying while the engine is unavailable: it is usually back within seconds. */
  async #readGap(channel: string, entry: ChannelEntry, since: StreamPosition): Promise<HistoryResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.broker.history(channel, { since, limit: entry.history.size }, entry.history);
      } catch (err) {
        if (attempt === GAP_READ_ATTEMPTS || (entry.held?.length ?? 0) > MAX_PENDING) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, GAP_RETRY_MS));
      if (this.#channels.get(channel) !== entry) return undefined;
    }
  }

  onEvent(event: ChannelEvent): void {
    const entry = this.#channels.get(event.channel);
    if (!entry) return;
    this.#jobs.push(new EventJob(event, entry.subscriptions));
    this.#schedule();
  }

  /** Queue a frame that is not a publication (reply, pong) on a subscriber. */
  queue(subscriber: Subscriber, frame: Buffer): void {
    subscriber.send(frame);
    this.#dirtyAndSchedule(subscriber);
  }

  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.subscriptions.size ?? 0;
  }

  channelCount(): number {
    return this.#channels.size;
  }

  /** Subscriptions across all channels; walks the channel map, so for scrapes, not per message. */
  subscriptionCount(): number {
    let n = 0;
    for (const entry of this.#channels.values()) n += entry.subscriptions.size;
    return n;
  }

  /** Every channel with local subscribers: its subscriber count and publications fanned out so far. */
  *channelStats(): IterableIterator<{ channel: string; subscribers: number; published: number }> {
    for (const [channel, e] of this.#channels) yield { channel, subscribers: e.subscriptions.size, published: e.published };
  }

  channels(): Array<{ channel: string; subscribers: number }> {
    return [...this.#channels].map(([channel, e]) => ({ channel, subscribers: e.subscriptions.size }));
  }

  /**
   * Subscribe with or without recovery, free of races with concurrent publishes: the
   * subscription is registered (buffering) before history is read, then history, then whatever
   * arrived meanwhile past the history's end, then live. Returns at once; the outcome arrives
   * through `onResult` / `onError`.
   */
  subscribe(subscriber: Subscriber, channel: ResolvedChannel, options: SubscribeOptions): Subscription {
    const sub = new Subscription(channel.name, subscriber);
    const entry = this.#entry(channel);
    entry.subscriptions.add(sub);
    this.#recover(sub, entry, channel, options).catch((err: unknown) => {
      this.unsubscribe(sub);
      options.onError(err);
    });
    return sub;
  }

  async #recover(sub: Subscription, entry: ChannelEntry, channel: ResolvedChannel, options: SubscribeOptions): Promise<void> {
    await entry.ready;
    const since = options.since;
    const history = historyOptions(channel);
    const result = await this.broker.history(channel.name, { since, limit: since ? history.size : 0, create: true }, history);
    if (sub.cancelled) throw new HeraldError(ErrorCode.NotSubscribed, 'unsubscribed before the subscription completed');
    // Until the live stream shows a position, the first history read is where gaps are counted from.
    entry.position ??= { offset: result.offset, epoch: result.epoch };
    const reply: SubscribeResult = { offset: result.offset, epoch: result.epoch };
    if (since) {
      reply.recovered = result.recovered ?? false;
      if (result.reason) reply.reason = result.reason;
    }
    options.onResult(reply);
    for (const pub of result.publications) this.#deliver(sub.subscriber, pub, true);
    sub.offset = result.offset;
    sub.epoch = result.epoch;
    sub.live = true;
    for (const pub of sub.pending) {
      if (pub.epoch === sub.epoch && pub.offset <= sub.offset) continue;
      sub.offset = pub.offset;
      sub.epoch = pub.epoch;
      if (!heldBack(sub, pub)) this.#deliver(sub.subscriber, pub);
    }
    sub.pending = [];
  }

  #deliver(subscriber: Subscriber, pub: Publication, replay = false): void {
    if (subscriber.send(subscriber.encoder.message(pub), pub, replay)) this.counters.delivered++;
    else this.counters.dropped++;
    this.#dirtyAndSchedule(subscriber);
  }

  unsubscribe(sub: Subscription): void {
    sub.cancelled = true;
    sub.pending = [];
    const entry = this.#channels.get(sub.channel);
    if (!entry?.subscriptions.delete(sub) || entry.subscriptions.size > 0) return;
    this.#channels.delete(sub.channel);
    void this.broker.unsubscribe(sub.channel).catch(() => {});
    this.onOccupancy?.(sub.channel, false);
  }

  #entry(channel: ResolvedChannel): ChannelEntry {
    let entry = this.#channels.get(channel.name);
    if (!entry) {
      entry = { subscriptions: new Set(), published: 0, ready: this.broker.subscribe(channel.name), history: historyOptions(channel) };
      this.#channels.set(channel.name, entry);
      this.onOccupancy?.(channel.name, true);
    }
    return entry;
  }

  #dirtyAndSchedule(subscriber: Subscriber): void {
    this.#dirty.add(subscriber);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    let budget = FANOUT_SLICE;
    while (budget > 0 && this.#jobs.length > 0) {
      const job = this.#jobs[0]!;
      const used = job.step(budget, this.#markDirty, this.counters);
      if (used === -1) {
        this.#jobs.shift();
        // Fan-out latency is measured for publications; ephemeral events are not timed.
        if (this.onFanout && job instanceof FanoutJob) this.#unflushed.push(job.started);
      } else budget -= used;
    }
    let flushed = 0;
    for (const subscriber of this.#dirty) {
      if (flushed++ === FLUSH_SLICE) break;
      this.#dirty.delete(subscriber);
      subscriber.flush();
    }
    // Nothing left to write: every fan-out queued so far has reached its sockets. (Under overload
    // the dirty set may never empty; past a bound, observe anyway rather than grow.)
    if (this.#unflushed.length > 0 && (this.#dirty.size === 0 || this.#unflushed.length > MAX_UNFLUSHED)) {
      const now = performance.now();
      for (const started of this.#unflushed) this.onFanout?.((now - started) / 1000);
      this.#unflushed = [];
    }
    this.#scheduled = false;
    if (this.#jobs.length > 0 || this.#dirty.size > 0) this.#schedule();
  };
}

function historyOptions(channel: ResolvedChannel): HistoryOptions {
  return { size: channel.options.history_size, ttlMs: channel.options.history_ttl_seconds * 1000 };
}
