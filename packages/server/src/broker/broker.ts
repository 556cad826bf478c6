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
 * - When the engine cannot reach its server, calls reject with a HeraldError `unavailable` (see
 *   `unavailable()`) instead of waiting; subscriptions are kept and re-established when it
 *   returns, followed by `onResubscribed` because publications in between may be missing.
 * - `heartbeat(token)` goes through the same path as publications and comes back through
 *   `onHeartbeat`, so the node can notice a subscription that looks alive but delivers nothing.
 * - `publishEvent` carries ephemeral channel events (presence join/leave) to every node subscribed
 *   to the channel, through `onEvent`. They get no offset, never enter history and are not
 *   recoverable; they are delivered at most once, in the order one node published them.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, type ClientInfo, type RecoveryFailure, type StreamPosition } from '@herald/protocol';
import type { PresenceEntry, PresenceSpace, PresenceStore } from '../presence/presence.js';
import type { SharedCounter } from '../auth/failure-limiter.js';
import type { BucketStore, ControlBus, RecordStore } from './control.js';
import type { ReplayCache } from '../auth/replay-cache.js';
import { HeraldError } from '../errors.js';
import { trustedRawJson, type RawJson } from '../json/raw.js';
import { scanJson } from '../json/scan.js';
import type { IdempotencyStore } from './idempotency-store.js';

export interface Publication extends StreamPosition {
  channel: string;
  event?: string;
  /** Conflation key: in a conflating namespace a later publication with the same key supersedes this one for a subscriber that fell behind. */
  key?: string;
  /** The publisher's JSON text (json/raw): relayed as is, never parsed on the delivery path. */
  data: RawJson;
  /** Who published it, for publications made by clients; set by the server only. */
  info?: ClientInfo;
  /** False when the publishing client must not receive its own publication live. */
  echo?: false;
}

/** What a publish carries into the engine. */
export interface PublishMessage {
  event?: string;
  key?: string;
  data: RawJson;
  info?: ClientInfo;
  echo?: false;
}

/**
 * A publish made under an idempotency key whose answer lives in the engine's shared store
 * (api/idempotency.ts): `id` is the store's id, `ttlMs` how long the answer is kept.
 */
export interface PublishOnce {
  id: string;
  ttlMs: number;
}

/** An ephemeral channel event: outside the stream, without offset or history. */
export interface ChannelEvent {
  channel: string;
  type: 'join' | 'leave' | 'update';
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
  /** Subscriptions were interrupted and are live again: publications in between may never arrive. */
  onResubscribed(): void;
  /** A token sent with `heartbeat()` came back through the engine's pub/sub. */
  onHeartbeat(token: string): void;
  onEvent(event: ChannelEvent): void;
}

export interface Broker {
  readonly name: string;
  start(handler: BrokerHandler): Promise<void>;
  /**
   * With `once`, an engine that can records the answer in the same atomic step as the publish, and
   * when it finds the answer recorded already publishes nothing and returns the recorded position:
   * a node that dies between publishing and recording its answer can then never cause a second
   * publish (publish sources redeliver exactly such records). Engines that cannot ignore it.
   */
  publish(channel: string, message: PublishMessage, history: HistoryOptions, once?: PublishOnce): Promise<StreamPosition>;
  /** Deliver an ephemeral event to every node subscribed to its channel (see the contract above). */
  publishEvent(event: ChannelEvent): Promise<void>;
  history(channel: string, query: HistoryQuery, history: HistoryOptions): Promise<HistoryResult>;
  /** Start receiving this channel's publications on this node. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Whether the engine's connections are up right now (no I/O). */
  readonly connected: boolean;
  /** Send `token` to this node through the pub/sub path; it arrives through `onHeartbeat`. */
  heartbeat(token: string): Promise<void>;
  /** Re-create every subscription from scratch (new connection), then call `onResubscribed`. */
  resubscribe(): Promise<void>;
  /** Engines shared by several nodes also share signed-request nonces, so a request replayed to another node is caught. */
  replayCache?(): ReplayCache;
  /**
   * Engines shared by several nodes hold presence and channel occupancy for all of them (one store
   * per space); without this, each node keeps its own in memory.
   */
  presenceStore?<E extends PresenceEntry>(space: PresenceSpace, sweepIntervalMs: number): PresenceStore<E>;
  /** Engines shared by several nodes count failed authentications for all of them (auth/failure-limiter.ts). */
  sharedCounter?(): SharedCounter;
  /** Engines shared by several nodes share `Idempotency-Key` claims and answers, kept `ttlMs`, so a retry to another node does not publish twice. */
  idempotencyStore?(ttlMs: number): IdempotencyStore;
  /** Engines shared by several nodes carry control commands to all of them (broker/control.ts); without it, a node's commands reach only itself. */
  controlBus?(): ControlBus;
  /** Engines shared by several nodes keep token revocations and user blocks for all of them, across restarts. */
  recordStore?(): RecordStore;
  /** Engines shared by several nodes hold per-user token buckets for all of them. */
  bucketStore?(): BucketStore;
  close(): Promise<void>;
}

/** The error every engine throws while its server cannot be reached: HTTP 503, retry later. */
export function unavailable(engine: string, cause: unknown): HeraldError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new HeraldError(ErrorCode.Unavailable, `the ${engine} engine is unavailable (${detail}); retry later`);
}

/**
 * A publication's body as engines store and relay it (offset and epoch travel beside it): a JSON
 * object `{"event"?,"key"?,"info"?,"echo"?,"data"}` whose `data` is the publisher's text spliced in as is.
 * Reading it back finds `data`'s span instead of parsing it (json/scan), so no value is ever
 * rebuilt; bodies written before this format (`data` first, re-serialised) read the same way.
 */
export function encodeBody(message: PublishMessage): string {
  let head = '{';
  if (message.event !== undefined) head += `"event":${JSON.stringify(message.event)},`;
  if (message.key !== undefined) head += `"key":${JSON.stringify(message.key)},`;
  if (message.info !== undefined) head += `"info":${JSON.stringify(message.info)},`;
  if (message.echo === false) head += '"echo":false,';
  return `${head}"data":${message.data}}`;
}

export function decodeBody(channel: string, position: StreamPosition, body: string): Publication {
  // The body was validated when it entered the engine: no depth limit here, the scan cannot overflow.
  const { members } = scanJson(body, Infinity);
  const span = (key: string) => {
    const s = members?.get(key);
    return s && body.slice(s.start, s.end);
  };
  const data = span('data');
  if (data === undefined) throw new Error(`publication ${channel}@${position.offset} has no data`);
  const publication: Publication = { channel, offset: position.offset, epoch: position.epoch, data: trustedRawJson(data) };
  const event = span('event');
  if (event !== undefined) publication.event = JSON.parse(event) as string;
  const key = span('key');
  if (key !== undefined) publication.key = JSON.parse(key) as string;
  const info = span('info');
  if (info !== undefined) publication.info = JSON.parse(info) as ClientInfo;
  if (span('echo') === 'false') publication.echo = false;
  return publication;
}

/** Ephemeral events share a channel's pub/sub with publications, marked by this prefix (publications start with a digit). */
export const EVENT_PREFIX = 'e:';

export function encodeEvent(event: ChannelEvent): string {
  return `${EVENT_PREFIX}${JSON.stringify({ type: event.type, info: event.info })}`;
}

export function decodeEvent(channel: string, message: string): ChannelEvent {
  const { type, info } = JSON.parse(message.slice(EVENT_PREFIX.length)) as Omit<ChannelEvent, 'channel'>;
  return { channel, type, info };
}

/** A fresh epoch: random, short, URL-safe. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

/** History of a stream that does not exist (never published, or forgotten): only the empty position is still valid. */
export function noStream(since: StreamPosition | undefined): HistoryResult {
  const result: HistoryResult = { offset: 0, epoch: '', publications: [] };
  if (since) Object.assign(result, since.offset === 0 && since.epoch === '' ? { recovered: true } : { recovered: false, reason: 'epoch_changed' });
  return result;
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
