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

/** Publications held for one subscription at most; past it the subscriber is cut (4008) after all. */
export const MAX_PARKED = 10_000;

/** Publications held for a subscriber, by key; a Map re-inserted on every update iterates in offset order. */
export type Parked = Map<string, Publication>;

/** A keyed publication's slot ('k' + key) or an unkeyed one's own ('o' + offset), never colliding. */
function slot(publication: Publication): string {
  return publication.key === undefined ? `o${publication.offset}` : `k${publication.key}`;
}

/** Hold `publication`, superseding the one held with its key; false once more than MAX_PARKED are held. */
export function park(parked: Parked, publication: Publication): boolean {
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

/** How many publications between `previous` (the last one sent) and `publication` were left out; 0 across an epoch change. */
export function skippedSince(previous: StreamPosition | undefined, publication: Publication): number {
  return previous && previous.epoch === publication.epoch && previous.offset >= 0 ? Math.max(0, publication.offset - previous.offset - 1) : 0;
}
