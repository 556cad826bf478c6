/**
 * @module hub/conflation
 * Conflation by key, for namespaces with `conflation` on: what a subscriber that fell behind (or
 * recovers) is still owed is only the latest publication per key. Publications without a key are
 * never superseded. Order is kept: the held publications are sent in offset order, and each one
 * tells how many superseded publications right before it were left out (`skipped`), so offsets
 * stay honest (docs/protocol.md#conflation).
 */
import type { StreamPosition } from '@herald/protocol';
import type { Publication } from '../broker/broker.js';
import type { Counters } from '../metrics/counters.js';
import type { Subscription } from './subscription.js';
import type { Encoder, MessageForm } from './subscriber.js';

/** Publications held for one subscription at most; past it the subscriber is cut (4008) after all. */
export const MAX_PARKED = 10_000;

/** Publications held for a subscriber, by key; a Map re-inserted on every update iterates in offset order. */
export type Parked = Map<string, Publication>;

/** A keyed publication's slot ('k' + key) or an unkeyed one's own ('o' + offset), never colliding. */
function slot(publication: Publication): string {
  return publication.key === undefined ? `o${publication.offset}` : `k${publication.key}`;
}

/** What holding and releasing publications needs from the hub. */
export interface ParkingHost {
  readonly counters: Counters;
  encode(encoder: Encoder, publication: Publication, form?: MessageForm): Buffer;
  /** Queue a frame on the subscription's subscriber (recording it as sent). */
  send(sub: Subscription, frame: Buffer, publication: Publication): void;
  /** A held publication could not be encoded: report it and ask the subscriber to recover. */
  fail(sub: Subscription, publication: Publication, err: unknown): void;
}

/** Hold a publication for a conflating subscription that fell behind; it goes when the socket drains. */
export function hold(sub: Subscription, publication: Publication, host: ParkingHost): void {
  const parked = (sub.parked ??= new Map());
  const held = parked.size;
  if (!park(parked, publication)) {
    sub.parked = undefined;
    sub.subscriber.overflow();
    return;
  }
  if (parked.size === held) host.counters.conflated++;
  waitForDrain(sub, host);
}

function waitForDrain(sub: Subscription, host: ParkingHost): void {
  if (sub.draining) return;
  sub.draining = true;
  sub.subscriber.onceDrained!(() => release(sub, host));
}

/** The socket drained: send what is held, latest per key in offset order, until it is behind again. */
function release(sub: Subscription, host: ParkingHost): void {
  sub.draining = false;
  const parked = sub.parked;
  if (!parked || sub.cancelled) return;
  const subscriber = sub.subscriber;
  for (const [at, publication] of parked) {
    let frame: Buffer;
    try {
      const skipped = skippedSince(lastSent(sub), publication);
      frame = host.encode(subscriber.encoder, publication, skipped > 0 ? { skipped } : undefined);
    } catch (err) {
      sub.parked = undefined;
      host.fail(sub, publication, err);
      return;
    }
    if (subscriber.behind?.(frame.length)) return waitForDrain(sub, host);
    parked.delete(at);
    host.send(sub, frame, publication);
  }
  sub.parked = undefined;
}

/** Hold `publication`, superseding the one held with its key; false once more than MAX_PARKED are held. */
function park(parked: Parked, publication: Publication): boolean {
  const at = slot(publication);
  parked.delete(at);
  parked.set(at, publication);
  return parked.size <= MAX_PARKED;
}

/** The latest publication per key, in offset order (a recovering subscriber's replay). */
export function latestPerKey(publications: readonly Publication[]): Publication[] {
  const parked: Parked = new Map();
  for (const publication of publications) park(parked, publication);
  return [...parked.values()];
}

/** The last publication the subscription was sent, if known. */
export function lastSent(sub: Subscription): StreamPosition | undefined {
  return sub.sentOffset < 0 ? undefined : { offset: sub.sentOffset, epoch: sub.sentEpoch };
}

/** How many publications between `previous` (the last one sent) and `publication` were left out; 0 across an epoch change. */
export function skippedSince(previous: StreamPosition | undefined, publication: Publication): number {
  return previous && previous.epoch === publication.epoch && previous.offset >= 0 ? Math.max(0, publication.offset - previous.offset - 1) : 0;
}
