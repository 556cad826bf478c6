/**
 * @module broker/broker
 * The engine interface every broker implements (memory now; Redis and NATS share it).
 *
 * Contract:
 * - `publish` assigns the channel's next offset (previous + 1, within the current epoch),
 *   appends to history and hands the publication to every subscribed node, as one atomic step
 *   per channel: two publishes never share an offset and history order equals offset order.
 * - The returned promise resolves only once the engine holds the publication; the caller may
 *   acknowledge its publisher then, and never has to wait for the fan-out.
 * - A node receives, through `onPublication`, every publication of a channel from the moment its
 *   `subscribe(channel)` resolved, in offset order, at most once.
 * - The epoch changes whenever the engine can no longer vouch for the history it had (stream
 *   expired, engine restarted without persistence): a client holding another epoch must refetch.
 * - `publishEvent` carries ephemeral channel events (presence join/leave) to every node subscribed
 *   to the channel, through `onEvent`. They get no offset, never enter history and are not
 *   recoverable; they are delivered at most once, in the order one node published them.
 */
import type { ClientInfo, RecoveryFailure, StreamPosition } from '@herald/protocol';

export interface Publication extends StreamPosition {
  channel: string;
  event?: string;
  data: unknown;
  /** Who published it, for publications made by clients; set by the server only. */
  info?: ClientInfo;
  /** False when the publishing client must not receive its own publication live. */
  echo?: false;
}

/** What a publish carries into the engine. */
export interface PublishMessage {
  event?: string;
  data: unknown;
  info?: ClientInfo;
  echo?: false;
}

/** An ephemeral channel event: outside the stream, without offset or history. */
export interface ChannelEvent {
  channel: string;
  type: 'join' | 'leave';
  info: ClientInfo;
}

export interface HistoryOptions {
  /** Most publications a stream keeps (0 = none). */
  size: number;
  /** How long a publication stays in history. */
  ttlMs: number;
}

export interface HistoryQuery {
  /** Return publications after this position; without it, the latest `limit` ones. */
  since?: StreamPosition;
  limit: number;
  /** Create the stream (assign an epoch) if it does not exist yet, so a new subscriber has a position to come back to. */
  create?: boolean;
}

export interface HistoryResult extends StreamPosition {
  publications: Publication[];
  /** Present when `since` was given: whether the publications continue exactly from it. */
  recovered?: boolean;
  reason?: RecoveryFailure;
}

export interface BrokerHandler {
  onPublication(publication: Publication): void;
  onEvent(event: ChannelEvent): void;
}

export interface Broker {
  readonly name: string;
  start(handler: BrokerHandler): Promise<void>;
  publish(channel: string, message: PublishMessage, history: HistoryOptions): Promise<StreamPosition>;
  /** Deliver an ephemeral event to every node subscribed to its channel (see the contract above). */
  publishEvent(event: ChannelEvent): Promise<void>;
  history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult>;
  /** Start receiving this channel's publications on this node. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Shared by every engine: given what the stream still holds after `since`, decide whether the
 * caller saw a continuous stream. `available` must be in offset order.
 */
export function checkRecovery(since: StreamPosition, top: StreamPosition, available: Publication[]): Pick<HistoryResult, 'recovered' | 'reason'> {
  if (since.epoch !== top.epoch) return { recovered: false, reason: 'epoch_changed' };
  if (since.offset > top.offset) return { recovered: false, reason: 'offset_ahead' };
  if (since.offset === top.offset) return { recovered: true };
  const first = available[0];
  if (!first || first.offset !== since.offset + 1) return { recovered: false, reason: 'history_truncated' };
  return { recovered: true };
}
