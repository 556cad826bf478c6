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
import type { Encoder, Subscriber } from './subscriber.js';
import type { Subscription } from './hub.js';

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
  encode(encoder: Encoder, publication: Publication): Buffer;
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
  protected frame(encoder: Encoder, stage: FanoutStage, host: JobHost, encode: () => Buffer): Buffer | Error {
    let frame = this.#frames.get(encoder);
    if (frame === undefined) {
      try {
        frame = encode();
      } catch (err) {
        frame = err instanceof Error ? err : new Error(String(err));
        this.fail(stage, err, host);
      }
      this.#frames.set(encoder, frame);
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
  constructor(
    readonly publication: Publication,
    subscriptions: Set<Subscription>,
  ) {
    super(subscriptions);
    this.what = { channel: publication.channel, offset: publication.offset };
  }

  step(budget: number, host: JobHost): number {
    const pub = this.publication;
    const counters = host.counters;
    // Counted in locals and added once per slice: no per-delivery work beyond an increment.
    let delivered = 0;
    let dropped = 0;
    for (let used = 0; used < budget; used++) {
      const next = this.iterator.next();
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
      const frame = this.frame(encoder, 'encode', host, () => host.encode(encoder, pub));
      if (frame instanceof Error) {
        this.fail('encode', frame, host, sub.subscriber);
        dropped++;
        continue;
      }
      try {
        if (sub.subscriber.send(frame, pub)) delivered++;
        else dropped++;
        host.markDirty(sub.subscriber);
      } catch (err) {
        this.fail('deliver', err, host, sub.subscriber);
        dropped++;
      }
    }
    counters.delivered += delivered;
    counters.dropped += dropped;
    return budget;
  }
}
