/**
 * @module hub/hub
 * Local subscriptions (channel → subscribers) and fan-out.
 *
 * Why it is shaped this way (see DESIGN.md): on loopback the kernel's per-write cost dominates,
 * so each publication is encoded once per transport and only *queued* on each subscriber; a
 * round of writes writes everything a socket has queued in one write. Rounds are paced
 * (hub/pacing.ts): at once after a quiet spell, but while publications arrive back to back (a
 * sequential publisher makes one turn per publish) the next round waits up to the namespace's
 * `write_delay_ms`, so consecutive turns share one write per socket. Replies are never held. Fan-out
 * and flushing both run in slices (flushing in slices of about a millisecond) so a huge channel
 * never stalls publishes, pings or accepts,
 * and a publish is acknowledged as soon as the engine holds it, before any of this runs.
 *
 * Two delivery features sit here, per subscription: delta compression (hub/delta.ts: a channel
 * with delta subscribers keeps its last publication's data, and each fan-out job makes one delta
 * against it) and conflation (hub/conflation.ts: a subscriber of a conflating namespace that falls
 * behind is held the latest publication per key until its socket drains, instead of being cut).
 *
 * The engine's pub/sub delivers at most once: across a reconnect (or any break) publications can
 * be lost. The hub therefore watches each channel's offsets and fills a gap from history before
 * delivering on, so subscribers still see every offset once and in order; when history cannot
 * fill it, they are asked to reconnect and recover rather than silently skip.
 */
import { ErrorCode, type StreamPosition, type SubscribeResult } from '@herald/protocol';
import type { Broker, BrokerHandler, ChannelEvent, HistoryOptions, HistoryResult, Publication, PublishMessage, PublishOnce } from '../broker/broker.js';
import type { ResolvedChannel } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { Logger } from 'pino';
import { Counters } from '../metrics/counters.js';
import { FlushPacing } from './pacing.js';
import { hold, lastSent, latestPerKey, skippedSince, type ParkingHost } from './conflation.js';
import { deltaBase, type DeltaBase } from './delta.js';
import { EventJob, FanoutJob, heldBack, MAX_PENDING, UNDELIVERABLE, type FanoutStage, type Job, type JobHost } from './jobs.js';
import type { Encoder, MessageForm, Subscriber } from './subscriber.js';
import { Subscription } from './subscription.js';

/** Deliveries queued per turn before yielding to I/O. Queuing is a pointer push: cheap. */
const FANOUT_SLICE = 65_536;
/**
 * Writing yields to I/O once a turn has spent this long on writes (each is a syscall, the
 * expensive part). Bounded by time rather than by a socket count so that, however big a round,
 * publishes, pings and accepts are polled every millisecond or so: a sequential publisher's next
 * publication then joins the round being written (its frames ride along on the sockets not yet
 * written) instead of waiting for a round of 10 000 sockets to end.
 */
const FLUSH_SLICE_MS = 1;
/** Sockets written between two reads of the clock (a few µs of writes each). */
const CLOCK_EVERY = 16;
/** Reading a gap from history is retried this often, this far apart, before subscribers are told to recover. */
const GAP_READ_ATTEMPTS = 20;
const GAP_RETRY_MS = 500;

export { Subscription };

interface ChannelEntry {
  subscriptions: Set<Subscription>;
  /** Publications fanned out here since the entry was created (per-channel rates, admin page). */
  published: number;
  /** Resolves when the engine delivers this channel to this node. */
  ready: Promise<void>;
  history: HistoryOptions;
  /** The namespace's write_delay_ms: how long a flush may wait for this channel's fan-outs. */
  writeDelayMs: number;
  /** How far this node's live stream got: a publication that skips past it reveals a gap. */
  position?: StreamPosition;
  /** Set while a gap is read from history; live publications wait here meanwhile. */
  held?: Publication[];
  /** Subscriptions that asked for deltas; while there are any, `base` keeps the last publication's data. */
  deltas: number;
  base?: DeltaBase;
}

export interface SubscribeOptions {
  since?: StreamPosition;
  /** Delta compression for this subscription (the subscriber's encoder must take a MessageForm). */
  delta?: boolean;
  /** Called with the result before any publication is queued, so a reply precedes the stream. */
  onResult(result: SubscribeResult): void;
  /** Called instead of onResult when the engine failed or the subscription was cancelled first. */
  onError(err: unknown): void;
}

export class Hub implements Pick<BrokerHandler, 'onPublication' | 'onResubscribed'> {
  readonly #channels = new Map<string, ChannelEntry>();
  readonly #jobs: Job[] = [];
  /** Subscribers with frames queued for the next round of writes. */
  #dirty = new Set<Subscriber>();
  /**
   * The round being written (in slices): what was dirty when the flush fell due. A socket that
   * gets frames meanwhile waits for the next round, so a big channel's sockets are written once
   * per round rather than once per publication that lands between slices.
   */
  #round = new Set<Subscriber>();
  #roundOpen = false;
  /** Subscribers with a reply (or a subscription's first frames) queued: written next turn, never held. */
  readonly #urgent = new Set<Subscriber>();
  #scheduled = false;
  readonly #pacing = new FlushPacing(() => this.#schedule());
  readonly #host: JobHost;
  readonly #parking: ParkingHost;
  /** Start times of fan-outs fully queued, waiting for the next round of writes. */
  #unflushed: number[] = [];
  /** Start times of the fan-outs whose last writes the current round makes. */
  #inRound: number[] = [];
  /** Told, once per publication, the seconds from its arrival to its last local write. */
  onFanout: ((seconds: number) => void) | undefined;

  /** Told when a channel gets its first subscriber on this node, and when it loses its last (cluster-wide occupancy: presence/occupancy.ts). */
  onOccupancy: ((channel: string, occupied: boolean) => void) | undefined;

  /**
   * TEST ONLY (HeraldOptions.testHooks): when it returns true, encoding this publication for this
   * transport's encoder (undefined: for the HTTP history API) throws, as a bug or a poisoned value
   * would. Unset in production: one property check per publication and transport, not per subscriber.
   */
  encodeFault: ((publication: Publication, encoder: Encoder | undefined) => boolean) | undefined;

  constructor(
    readonly broker: Broker,
    readonly log: Pick<Logger, 'warn' | 'error'> = { warn: () => {}, error: () => {} },
    readonly counters = new Counters(),
  ) {
    this.#host = {
      counters,
      markDirty: (s) => this.#dirty.add(s),
      encode: (encoder, publication, form) => this.#encode(encoder, publication, form),
      park: (sub, publication) => hold(sub, publication, this.#parking),
      report: (stage, what, err) => this.reportFailure(stage, what, err),
      resync: (subscriber, reason) => this.#resync(subscriber, reason),
    };
    this.#parking = {
      counters,
      encode: (encoder, publication, form) => this.#encode(encoder, publication, form),
      send: (sub, frame, publication) => this.#send(sub, frame, publication),
      fail: (sub, publication, err) => {
        this.reportFailure('deliver', { channel: sub.channel, offset: publication.offset }, err);
        this.#resync(sub.subscriber, UNDELIVERABLE);
      },
    };
  }

  /** Log and count a publication or event that could not reach (some of) its subscribers; once per failure, not per subscriber. */
  reportFailure(stage: FanoutStage, what: { channel?: string; offset?: number }, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.counters.fanoutError(stage, `${what.channel ?? 'a socket write'}${what.offset === undefined ? '' : ` offset ${what.offset}`}: ${message}`);
    this.log.error({ err, stage, ...what }, 'a publication or event could not be delivered; its subscribers are asked to recover');
  }

  #encode(encoder: Encoder, publication: Publication, form?: MessageForm): Buffer {
    if (this.encodeFault?.(publication, encoder)) throw new Error(`fault injected by a test into the encoder (offset ${publication.offset})`);
    return encoder.message(publication, form);
  }

  /** Ask a subscriber to reconnect and recover; a subscriber that fails even at that is only logged. */
  #resync(subscriber: Subscriber, reason: string): void {
    try {
      subscriber.resync(reason);
    } catch (err) {
      this.log.error({ err }, 'a subscriber could not be asked to recover');
    }
  }

  async publish(channel: ResolvedChannel, message: PublishMessage, once?: PublishOnce): Promise<StreamPosition> {
    const position = await this.broker.publish(channel.name, message, historyOptions(channel), once);
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
    if (entry.deltas > 0) {
      const current = deltaBase(publication);
      this.#jobs.push(new FanoutJob(publication, entry.subscriptions, entry.base, current));
      entry.base = current;
    } else this.#jobs.push(new FanoutJob(publication, entry.subscriptions));
    this.#pacing.due(entry.writeDelayMs);
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
      for (const sub of entry.subscriptions) this.#resync(sub.subscriber, 'node lost publications between nodes: reconnect and recover');
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
    this.#pacing.due(entry.writeDelayMs);
    this.#schedule();
  }

  /** Queue a frame that is not a publication (reply, pong) on a subscriber; it is written next turn, never held. */
  queue(subscriber: Subscriber, frame: Buffer): void {
    subscriber.send(frame);
    this.#urgentAndSchedule(subscriber);
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
    const sub = new Subscription(channel.name, subscriber, options.delta === true, channel.options.conflation);
    const entry = this.#entry(channel);
    entry.subscriptions.add(sub);
    if (sub.delta) entry.deltas++;
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
    const subscriber = sub.subscriber;
    // A recovering subscriber of a conflating namespace is owed only the latest publication per key.
    const publications = sub.conflate ? latestPerKey(result.publications) : result.publications;
    this.counters.conflated += result.publications.length - publications.length;
    // Encoded before the answer: a publication that cannot be encoded makes it `recovered: false`
    // (the client refetches its state and goes on live), not a subscription that never gets its history.
    const replay = this.#encodeHistory(subscriber.encoder, publications, channel.name, sub.conflate ? since : undefined);
    const reply: SubscribeResult = { offset: result.offset, epoch: result.epoch };
    if (since) {
      reply.recovered = replay !== undefined && (result.recovered ?? false);
      const reason = replay ? result.reason : 'undeliverable';
      if (reason) reply.reason = reason;
    }
    if (sub.delta) reply.delta = 'fossil';
    options.onResult(reply);
    // Answered: from here on a failure must reach the client as a resync, never leave it subscribed and silent.
    try {
      replay?.forEach((frame, i) => this.#send(sub, frame, publications[i]!, true));
      sub.offset = result.offset;
      sub.epoch = result.epoch;
      sub.live = true;
      for (const pub of sub.pending) {
        if (pub.epoch === sub.epoch && pub.offset <= sub.offset) continue;
        sub.offset = pub.offset;
        sub.epoch = pub.epoch;
        if (heldBack(sub, pub)) continue;
        // Conflated while buffered (hub/jobs.ts), the offsets may jump: say by how much.
        const skipped = sub.conflate ? skippedSince(lastSent(sub) ?? result, pub) : 0;
        const frame = this.#encode(subscriber.encoder, pub, skipped > 0 ? { skipped } : undefined);
        if (sub.conflate && (sub.parked || subscriber.behind?.(frame.length))) hold(sub, pub, this.#parking);
        else this.#send(sub, frame, pub);
      }
      sub.pending = [];
    } catch (err) {
      this.reportFailure('recovery', { channel: channel.name }, err);
      this.#resync(subscriber, UNDELIVERABLE);
    }
  }

  /**
   * Every publication's frame for `encoder`, or undefined (reported) when one cannot be encoded.
   * `conflatedSince`: the replay was conflated from there, so each frame says what it skipped.
   */
  #encodeHistory(encoder: Encoder, publications: Publication[], channel: string, conflatedSince?: StreamPosition): Buffer[] | undefined {
    const frames: Buffer[] = [];
    let previous = conflatedSince;
    for (const pub of publications) {
      try {
        const skipped = skippedSince(previous, pub);
        frames.push(this.#encode(encoder, pub, skipped > 0 ? { skipped } : undefined));
        previous = pub;
      } catch (err) {
        this.reportFailure('recovery', { channel, offset: pub.offset }, err);
        return undefined;
      }
    }
    return frames;
  }

  /** Queue a publication's frame outside a fan-out job (recovery, a conflated release): written next turn, not held. */
  #send(sub: Subscription, frame: Buffer, pub: Publication, replay = false): void {
    const subscriber = sub.subscriber;
    if (subscriber.send(frame, pub, replay)) {
      this.counters.delivered++;
      sub.sentOffset = pub.offset;
      sub.sentEpoch = pub.epoch;
    } else {
      this.counters.dropped++;
      sub.sentOffset = -1;
    }
    this.#urgentAndSchedule(subscriber);
  }

  unsubscribe(sub: Subscription): void {
    sub.cancelled = true;
    sub.pending = [];
    sub.parked = undefined;
    const entry = this.#channels.get(sub.channel);
    if (!entry?.subscriptions.delete(sub)) return;
    if (sub.delta && --entry.deltas === 0) entry.base = undefined;
    if (entry.subscriptions.size > 0) return;
    this.#channels.delete(sub.channel);
    void this.broker.unsubscribe(sub.channel).catch(() => {});
    this.onOccupancy?.(sub.channel, false);
  }

  #entry(channel: ResolvedChannel): ChannelEntry {
    let entry = this.#channels.get(channel.name);
    if (!entry) {
      entry = {
        subscriptions: new Set(),
        published: 0,
        ready: this.broker.subscribe(channel.name),
        history: historyOptions(channel),
        writeDelayMs: channel.options.write_delay_ms,
        deltas: 0,
      };
      this.#channels.set(channel.name, entry);
      this.onOccupancy?.(channel.name, true);
    }
    return entry;
  }

  #urgentAndSchedule(subscriber: Subscriber): void {
    this.#dirty.add(subscriber);
    this.#urgent.add(subscriber);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    try {
      this.#runJobs();
      if (!this.#roundOpen && this.#dirty.size > 0 && this.#pacing.isDue()) this.#startRound();
      // Replies go whether or not a round is due, with whatever their socket had queued before them.
      const until = performance.now() + FLUSH_SLICE_MS;
      if (this.#write(this.#urgent, until)) this.#write(this.#round, until);
      if (this.#roundOpen && this.#round.size === 0) this.#endRound();
    } finally {
      // Whatever happened, the loop keeps running: a fault never strands the queued work.
      this.#scheduled = false;
      if (this.#jobs.length > 0 || this.#urgent.size > 0 || this.#roundOpen || (this.#dirty.size > 0 && this.#pacing.isDue())) this.#schedule();
      else if (this.#dirty.size > 0) this.#pacing.arm();
      else this.#pacing.nothingHeld();
    }
  };

  #runJobs(): void {
    let budget = FANOUT_SLICE;
    while (budget > 0 && this.#jobs.length > 0) {
      const job = this.#jobs[0]!;
      let used: number;
      try {
        used = job.step(budget, this.#host);
      } catch (err) {
        // Jobs isolate every delivery themselves; this is the last guard against a bug in one.
        this.log.error({ err }, 'a fan-out job failed; dropping it');
        used = -1;
      }
      if (used === -1) {
        this.#jobs.shift();
        // Fan-out latency is measured for publications; ephemeral events are not timed.
        if (this.onFanout && job instanceof FanoutJob) this.#unflushed.push(job.started);
      } else budget -= used;
    }
  }

  #startRound(): void {
    this.#round = this.#dirty;
    this.#dirty = new Set();
    this.#inRound = this.#unflushed;
    this.#unflushed = [];
    this.#roundOpen = true;
    this.#pacing.roundStarted();
  }

  /** Every socket of the round is written: the fan-outs it carried have reached their sockets. */
  #endRound(): void {
    this.#roundOpen = false;
    this.#pacing.roundDone();
    if (this.#inRound.length === 0) return;
    const now = performance.now();
    for (const started of this.#inRound) this.onFanout?.((now - started) / 1000);
    this.#inRound = [];
  }

  /**
   * Write `subscribers`, each its whole outbox (so its frames keep their order), until the clock
   * passes `until` (checked every CLOCK_EVERY sockets, so each call makes progress); returns
   * false when time ran out first.
   */
  #write(subscribers: Set<Subscriber>, until: number): boolean {
    let n = 0;
    for (const subscriber of subscribers) {
      if (++n % CLOCK_EVERY === 0 && performance.now() >= until) return false;
      this.#dirty.delete(subscriber);
      this.#round.delete(subscriber);
      this.#urgent.delete(subscriber);
      try {
        subscriber.flush();
      } catch (err) {
        this.reportFailure('deliver', {}, err);
        this.#resync(subscriber, UNDELIVERABLE);
      }
    }
    return true;
  }
}

function historyOptions(channel: ResolvedChannel): HistoryOptions {
  return { size: channel.options.history_size, ttlMs: channel.options.history_ttl_seconds * 1000 };
}
