/**
 * @module hub/jobs
 * Fan-out jobs: one publication (or presence event) to every local subscriber of its channel,
 * queued in slices by the hub's loop (hub/hub.ts).
 *
 * Each delivery is isolated: when encoding a publication for a transport, or handing it to one
 * subscriber, throws, the job goes on with the others. The failure is reported once per job (one
 * log line, one count in `herald_fanout_errors_total`), and every subscriber that did not get the
 * frame is asked to recover (`Subscriber.resync`): a WebSocket or SSE connection is closed with
 * 1012 and resumes from history, a long-poll answers and its next request meets the publication
 * in history. A subscription never looks alive while it silently misses a publication.
 */
import type { ChannelEvent, Publication } from '../broker/broker.js';
import type { Counters } from '../metrics/counters.js';
import { latestPerKey } from './conflation.js';
import { encodeDelta, type DeltaBase } from './delta.js';
import type { Encoder, MessageForm, Subscriber } from './subscriber.js';
import type { Subscription } from './subscription.js';

/** Live publications buffered for one subscription while its history is being read. */
export const MAX_PENDING = 10_000;

/** The close reason of a subscriber that missed a publication this node could not encode or deliver (fits a close frame). */
export const UNDELIVERABLE = 'node could not deliver a publication: reconnect and recover';

/** The `stage` label of herald_fanout_errors_total: where a publication or event could not reach its subscribers. */
export type FanoutStage = 'encode' | 'event' | 'deliver' | 'recovery' | 'history';

/** What a job needs from the hub. */
export interface JobHost {
  readonly counters: Counters;
  markDirty(subscriber: Subscriber): void;
  /** Encode a publication for one transport (where the test hook may inject a fault). */
  encode(encoder: Encoder, publication: Publication, form?: MessageForm): Buffer;
  /** Hold a publication for a conflating subscription that fell behind, until its socket drains. */
  park(sub: Subscription, publication: Publication): void;
  /** Log and count one failure; called once per job and stage. */
  report(stage: FanoutStage, what: { channel: string; offset?: number }, err: unknown): void;
  /** Ask a subscriber that missed something to recover; never throws. */
  resync(subscriber: Subscriber, reason: string): void;
}

export interface Job {
  /** Queues up to `budget` deliveries; returns how many it used, or -1 once every subscriber is served. */
  step(budget: number, host: JobHost): number;
}

/** A client that publishes with echo off does not get its own publication live. */
export function heldBack(sub: Subscription, pub: Publication): boolean {
  return pub.echo === false && pub.info?.client !== undefined && pub.info.client === sub.subscriber.id;
}

/**
 * Too much arrived while a subscription's history is read: a conflating one keeps only the latest
 * per key (and goes on if that is enough), any other is cut.
 */
function overflowPending(sub: Subscription, counters: Counters): void {
  if (sub.conflate) {
    const kept = latestPerKey(sub.pending);
    counters.conflated += sub.pending.length - kept.length;
    sub.pending = kept;
    if (kept.length <= MAX_PENDING) return;
  }
  sub.subscriber.overflow();
}

/** A frame per transport, or the error that encoding it for that transport raised. */
type Frames = Map<Encoder, Buffer | Error>;

/** The base both jobs share: per-encoder frame cache and failure bookkeeping. */
abstract class IsolatedJob implements Job {
  readonly #frames: Frames = new Map();
  readonly #reported = new Set<FanoutStage>();
  protected readonly iterator: Iterator<Subscription>;
  constructor(subscriptions: Set<Subscription>) {
    this.iterator = subscriptions.values();
  }

  abstract step(budget: number, host: JobHost): number;
  protected abstract readonly what: { channel: string; offset?: number };

  /** This job's frame for `encoder`, encoded on first use; an Error if encoding failed (reported once). */
  protected frame(encoder: Encoder, stage: FanoutStage, host: JobHost, encode: () => Buffer, frames: Frames = this.#frames): Buffer | Error {
    let frame = frames.get(encoder);
    if (frame === undefined) {
      try {
        frame = encode();
      } catch (err) {
        frame = err instanceof Error ? err : new Error(String(err));
        this.fail(stage, err, host);
      }
      frames.set(encoder, frame);
    }
    return frame;
  }

  protected fail(stage: FanoutStage, err: unknown, host: JobHost, subscriber?: Subscriber): void {
    if (!this.#reported.has(stage)) {
      this.#reported.add(stage);
      host.report(stage, this.what, err);
    }
    if (subscriber) host.resync(subscriber, UNDELIVERABLE);
  }
}

/** Ephemeral events go to live subscriptions that asked for them; they never touch offsets. */
export class EventJob extends IsolatedJob {
  protected readonly what: { channel: string };
  constructor(
    readonly event: ChannelEvent,
    subscriptions: Set<Subscription>,
  ) {
    super(subscriptions);
    this.what = { channel: event.channel };
  }

  step(budget: number, host: JobHost): number {
    for (let used = 0; used < budget; used++) {
      const next = this.iterator.next();
      if (next.done) return -1;
      const sub = next.value;
      const encoder = sub.subscriber.encoder;
      if (sub.cancelled || !sub.live || !sub.events || !encoder.event) continue;
      // A missed join/leave leaves the member list wrong: the client re-subscribes and gets it whole.
      const frame = this.frame(encoder, 'event', host, () => encoder.event!(this.event));
      if (frame instanceof Error) {
        this.fail('event', frame, host, sub.subscriber);
        continue;
      }
      try {
        sub.subscriber.send(frame);
        host.markDirty(sub.subscriber);
      } catch (err) {
        this.fail('deliver', err, host, sub.subscriber);
      }
    }
    return budget;
  }
}

export class FanoutJob extends IsolatedJob {
  /** When this node got the publication from the engine (for the fan-out latency histogram). */
  readonly started = performance.now();
  protected readonly what: { channel: string; offset: number };
  /** The delta from `base`: a JSON string literal, null when not worth it, undefined until first needed. */
  #delta: string | null | undefined;
  readonly #deltaFrames: Frames = new Map();
  /** The full frame of the last encoder used (see step). */
  #lastEncoder: Encoder | undefined;
  #lastFrame: Buffer | Error | undefined;
  /**
   * `base` and `current`: the channel's previous publication and this one, as delta compression
   * needs them; given only while the channel has subscriptions that asked for deltas.
   */
  constructor(
    readonly publication: Publication,
    subscriptions: Set<Subscription>,
    readonly base?: DeltaBase,
    readonly current?: DeltaBase,
  ) {
    super(subscriptions);
    this.what = { channel: publication.channel, offset: publication.offset };
  }

  /**
   * The delta frame for a subscription whose client holds the base's data, or undefined (the full
   * frame goes). The delta is made once per publication, its frame once per transport.
   */
  #deltaFrame(sub: Subscription, encoder: Encoder, host: JobHost): Buffer | undefined {
    const base = this.base;
    if (!base || sub.sentOffset !== base.offset || sub.sentEpoch !== base.epoch) return undefined;
    if (this.#delta === undefined) {
      try {
        this.#delta = encodeDelta(base, this.current!) ?? null;
      } catch (err) {
        // A delta is an optimisation: without one, the full payload goes.
        this.#delta = null;
        host.report('encode', this.what, err);
      }
    }
    const delta = this.#delta;
    if (delta === null) return undefined;
    const frame = this.frame(encoder, 'encode', host, () => host.encode(encoder, this.publication, { delta }), this.#deltaFrames);
    return frame instanceof Error ? undefined : frame;
  }

  step(budget: number, host: JobHost): number {
    const pub = this.publication;
    const counters = host.counters;
    // Counted in locals and added once per slice: no per-delivery work beyond an increment.
    let delivered = 0;
    let dropped = 0;
    let deltas = 0;
    for (let used = 0; used < budget; used++) {
      const next = this.iterator.next();
      if (next.done) {
        counters.delivered += delivered;
        counters.dropped += dropped;
        counters.deltas += deltas;
        return -1;
      }
      const sub = next.value;
      if (sub.cancelled) continue;
      if (!sub.live) {
        if (sub.pending.push(pub) > MAX_PENDING) overflowPending(sub, counters);
        continue;
      }
      if (pub.epoch === sub.epoch && pub.offset <= sub.offset) continue;
      sub.offset = pub.offset;
      sub.epoch = pub.epoch;
      if (heldBack(sub, pub)) continue;
      if (sub.parked) {
        host.park(sub, pub);
        continue;
      }
      const encoder = sub.subscriber.encoder;
      const delta = sub.delta ? this.#deltaFrame(sub, encoder, host) : undefined;
      // Nearly every subscriber of a channel shares one encoder: the last one's frame is reused
      // without a closure or a map lookup per delivery (garbage under steady load).
      let frame: Buffer | Error;
      if (delta) frame = delta;
      else if (encoder === this.#lastEncoder) frame = this.#lastFrame!;
      else {
        frame = this.frame(encoder, 'encode', host, () => host.encode(encoder, pub));
        this.#lastEncoder = encoder;
        this.#lastFrame = frame;
      }
      if (frame instanceof Error) {
        this.fail('encode', frame, host, sub.subscriber);
        sub.sentOffset = -1;
        dropped++;
        continue;
      }
      if (sub.conflate && sub.subscriber.behind?.(frame.length)) {
        host.park(sub, pub);
        continue;
      }
      try {
        if (sub.subscriber.send(frame, pub)) {
          delivered++;
          if (delta) deltas++;
          sub.sentOffset = pub.offset;
          sub.sentEpoch = pub.epoch;
        } else {
          dropped++;
          sub.sentOffset = -1;
        }
        host.markDirty(sub.subscriber);
      } catch (err) {
        this.fail('deliver', err, host, sub.subscriber);
        sub.sentOffset = -1;
        dropped++;
      }
    }
    counters.delivered += delivered;
    counters.dropped += dropped;
    counters.deltas += deltas;
    return budget;
  }
}
