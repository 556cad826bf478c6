/**
 * @module subscription
 * One channel as the application sees it: messages exactly once and in order across
 * reconnects, or a `recovery-failed` event when that could not be guaranteed.
 */
import type { ClientInfo, ErrorBody, MessageFrame, PresenceEventFrame, PresenceMember, RecoveryFailure, StreamPosition, SubscribeResult } from '@herald/protocol';
import { Emitter } from './emitter.js';

export interface Message {
  channel: string;
  offset: number;
  epoch: string;
  event?: string;
  data: unknown;
  /** Who published it, when a client did (set by the server, cannot be forged). */
  info?: ClientInfo;
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

  constructor(
    readonly channel: string,
    readonly token: (() => Promise<string | undefined>) | undefined,
    private readonly release: (sub: Subscription) => void,
    readonly presence = false,
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

  /** @internal delivers a message unless it was already delivered (a replay after reconnect). */
  deliver(frame: MessageFrame): void {
    const p = this.position;
    if (p && p.epoch === frame.epoch && frame.offset <= p.offset) return;
    this.position = { offset: frame.offset, epoch: frame.epoch };
    const message: Message = { channel: frame.channel, offset: frame.offset, epoch: frame.epoch, data: frame.data };
    if (frame.event !== undefined) message.event = frame.event;
    if (frame.info !== undefined) message.info = frame.info;
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
