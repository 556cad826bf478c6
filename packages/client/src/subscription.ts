/**
 * @module subscription
 * One channel as the application sees it: messages exactly once and in order across
 * reconnects, or a `recovery-failed` event when that could not be guaranteed.
 */
import type { ClientInfo, ErrorBody, MessageFrame, PresenceEventFrame, PresenceMember, RecoveryFailure, StreamPosition, SubscribeResult } from '@herald/protocol';
import { applyTo, baseOf, rawData } from './delta.js';
import { Emitter } from './emitter.js';

export interface Message {
  channel: string;
  offset: number;
  epoch: string;
  event?: string;
  /** The publication's conflation key, if it has one. */
  key?: string;
  data: unknown;
  /** Who published it, when a client did (set by the server, cannot be forged). */
  info?: ClientInfo;
  /**
   * Conflating namespaces: this many publications right before this one were left out because
   * later ones with the same key superseded them (the offset jumps by `skipped + 1`).
   */
  skipped?: number;
}

export type SubscriptionEvents = {
  message: [Message];
  /** The server confirmed the subscription (after every (re)connect). */
  subscribed: [SubscribeResult];
  /** Messages may have been missed (history too short, or the stream was reset): refetch state. */
  'recovery-failed': [{ reason: RecoveryFailure; position: StreamPosition }];
  /** The server refused the subscription; it stays inactive until subscribe() is called again. */
  error: [ErrorBody];
  /** The server ended the subscription on its own (control API `unsubscribe`); no more messages follow. */
  unsubscribed: [];
  /** A delta did not check out against the data held (`reason`): the subscription resubscribes from `position` with recovery. */
  'delta-failed': [{ reason: string; position: StreamPosition | undefined }];
  /** With `presence: true`: the full member list (after every (re)subscribe). */
  presence: [PresenceMember[]];
  /** With `presence: true`: a user joined (its first connection) or left (its last). */
  join: [ClientInfo];
  leave: [ClientInfo];
  /** With `presence: true`: a member's info changed (`info.info` is its new info). */
  update: [ClientInfo];
};

export type SubscriptionState = 'subscribing' | 'subscribed' | 'failed' | 'unsubscribed';

export class Subscription extends Emitter<SubscriptionEvents> {
  state: SubscriptionState = 'subscribing';
  /** Position of the last message handed to the application (or where the stream started). */
  position: StreamPosition | undefined;
  /** Position sent with the pending subscribe: history after it is still to come. */
  #resumingFrom: StreamPosition | undefined;

  /** With `presence: true`: the channel's members by user, kept up to date from join/leave. */
  readonly members = new Map<string, PresenceMember>();
  /** Delta subscriptions: the UTF-8 text of the last message's data, what the next delta applies to. */
  #base: Uint8Array | undefined;
  /** A delta failed: messages are ignored until the new subscription is confirmed. */
  #resyncing = false;

  constructor(
    readonly channel: string,
    readonly token: (() => Promise<string | undefined>) | undefined,
    private readonly release: (sub: Subscription) => void,
    readonly presence = false,
    /** Delta compression asked for (`delta: true` in the subscribe options); `resync` starts the resubscribe after a failed delta. */
    readonly delta = false,
    private readonly resync: (sub: Subscription) => void = () => {},
  ) {
    super();
  }

  unsubscribe(): void {
    if (this.state === 'unsubscribed') return;
    this.state = 'unsubscribed';
    this.release(this);
  }

  /** @internal the position to resume from on (re)subscribe. */
  beginSubscribe(): StreamPosition | undefined {
    this.state = 'subscribing';
    this.#resumingFrom = this.position;
    return this.position;
  }

  /** @internal */
  subscribed(result: SubscribeResult): void {
    this.state = 'subscribed';
    // A new subscription on the server: its first message is a full one.
    this.#base = undefined;
    this.#resyncing = false;
    if (result.recovered === false) {
      this.position = { offset: result.offset, epoch: result.epoch };
      this.emit('recovery-failed', { reason: result.reason ?? 'history_truncated', position: this.position });
    } else if (!this.#resumingFrom) {
      this.position = { offset: result.offset, epoch: result.epoch };
    }
    // When recovery succeeded, the missed messages follow and advance the position themselves.
    this.#resumingFrom = undefined;
    this.emit('subscribed', result);
  }

  /** @internal the server ended it: with a cause, as a refusal (`error`), else `unsubscribed`. */
  ended(cause: ErrorBody | undefined): void {
    if (cause) this.failed(cause);
    this.state = 'unsubscribed';
    if (!cause) this.emit('unsubscribed');
  }

  /** @internal */
  failed(error: ErrorBody): void {
    this.state = 'failed';
    this.emit('error', error);
  }

  /**
   * @internal delivers a message unless it was already delivered (a replay after reconnect).
   * `text`: the frame as received, whose `data` text a delta subscription keeps as its base.
   */
  deliver(frame: MessageFrame, text?: string): void {
    if (this.#resyncing) return;
    let data = frame.data;
    if (this.delta) {
      // Every frame moves the base, a duplicate too: the server's next delta is made against it.
      try {
        if (frame.delta) {
          if (!this.#base) throw new Error('a delta arrived before any full message');
          ({ base: this.#base, data } = applyTo(this.#base, frame.data));
        } else {
          const raw = text === undefined ? undefined : rawData(text);
          this.#base = raw === undefined ? undefined : baseOf(raw);
        }
      } catch (err) {
        this.#resyncing = true;
        this.#base = undefined;
        this.emit('delta-failed', { reason: err instanceof Error ? err.message : String(err), position: this.position });
        this.resync(this);
        return;
      }
    }
    const p = this.position;
    if (p && p.epoch === frame.epoch && frame.offset <= p.offset) return;
    this.position = { offset: frame.offset, epoch: frame.epoch };
    const message: Message = { channel: frame.channel, offset: frame.offset, epoch: frame.epoch, data };
    if (frame.event !== undefined) message.event = frame.event;
    if (frame.key !== undefined) message.key = frame.key;
    if (frame.info !== undefined) message.info = frame.info;
    if (frame.skipped !== undefined) message.skipped = frame.skipped;
    this.emit('message', message);
  }

  /** @internal the whole member list replaces what was known. */
  presenceSync(members: PresenceMember[]): void {
    this.members.clear();
    for (const m of members) this.members.set(m.user, m);
    this.emit('presence', members);
  }

  /** @internal join/leave apply as set changes: a repeat is a no-op (see docs/protocol.md#presence). */
  presenceEvent(frame: PresenceEventFrame): void {
    const { user, client } = frame.info;
    const info = frame.info.info;
    if (frame.type === 'update') {
      const member = this.members.get(user) ?? { user, clients: client === undefined ? [] : [client] };
      if (client !== undefined && !member.clients.includes(client)) member.clients.push(client);
      if (info !== undefined) member.info = info;
      this.members.set(user, member);
    } else if (frame.type === 'join') {
      if (this.members.has(user)) return;
      this.members.set(user, info === undefined ? { user, clients: client === undefined ? [] : [client] } : { user, clients: client === undefined ? [] : [client], info });
    } else if (!this.members.delete(user)) return;
    this.emit(frame.type, frame.info);
  }
}
