/**
 * @module hub/subscription
 * One subscriber on one channel, as the hub delivers to it: where its stream stands, what it was
 * sent last, and what is buffered or held for it.
 */
import type { Publication } from '../broker/broker.js';
import type { Parked } from './conflation.js';
import type { Subscriber } from './subscriber.js';

export class Subscription {
  live = false;
  cancelled = false;
  /** Whether this subscriber asked for presence join/leave events. */
  events = false;
  pending: Publication[] = [];
  /** Last position delivered: anything at or before it is a duplicate. */
  offset = 0;
  epoch = '';
  /**
   * The last publication whose frame reached the subscriber's outbox (-1: unknown): its client
   * holds that data, the base a delta can be made against, and conflation counts skips from it.
   */
  sentOffset = -1;
  sentEpoch = '';
  /** Publications held while a conflating subscriber is behind (hub/conflation.ts). */
  parked: Parked | undefined;
  /** Waiting for the subscriber's socket to drain before the parked publications go. */
  draining = false;
  constructor(
    readonly channel: string,
    readonly subscriber: Subscriber,
    /** Asked for delta compression (WebSocket and SSE). */
    readonly delta: boolean,
    /** In a namespace with `conflation` on. */
    readonly conflate: boolean,
  ) {}
}
