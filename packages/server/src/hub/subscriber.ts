/**
 * @module hub/subscriber
 * What the hub needs from a connection, whatever its transport.
 */
import type { ChannelEvent, Publication } from '../broker/broker.js';

/** How one subscriber's copy of a publication differs from the plain frame. */
export interface MessageForm {
  /** A JSON string literal holding the fossil delta that replaces `data` (hub/delta.ts). */
  delta?: string;
  /** Superseded publications left out right before this one (conflation). */
  skipped?: number;
}

/** Turns publications into the bytes one transport writes; one instance is shared by all its connections. */
export interface Encoder {
  /** `form` only on transports that stream (WebSocket, SSE): long-poll always carries the plain frame. */
  message(publication: Publication, form?: MessageForm): Buffer;
  /** Presence join/leave frames; only transports that can carry them implement it. */
  event?(event: ChannelEvent): Buffer;
}

export interface Subscriber {
  /** The connection's client id, when it has one (used to hold back a client's own publications). */
  readonly id?: string;
  readonly encoder: Encoder;
  /**
   * Queue bytes for this connection; the hub's flush writes them in one write (hub/pacing.ts says when).
   * `publication` is given when the frame is that publication's (shared) encoding; `replay`
   * marks history sent on recovery, which is bounded by the namespace's history and must not
   * count against the client as falling behind (or a client that missed a lot could never return).
   * Returns false when the frame was not taken (closed, or over its limit), which the hub counts
   * as dropped.
   */
  send(frame: Buffer, publication?: Publication, replay?: boolean): boolean;
  /** Write everything queued in as few socket writes as possible. */
  flush(): void;
  /** The hub cannot buffer more for this subscriber: it must go (and recover when it returns). */
  overflow(): void;
  /** The node lost publications it cannot replay: the subscriber must reconnect and recover. */
  resync(reason: string): void;
  /**
   * Conflation (transports that stream): whether `bytes` more would take this subscriber past
   * half its send buffer, i.e. it is falling behind. Absent: it never is (long-poll).
   */
  behind?(bytes: number): boolean;
  /** Call `listener` once when the socket has taken what was queued (or soon, if it was not waiting). */
  onceDrained?(listener: () => void): void;
}
