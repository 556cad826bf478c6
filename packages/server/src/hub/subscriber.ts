/**
 * @module hub/subscriber
 * What the hub needs from a connection, whatever its transport.
 */
import type { Publication } from '../broker/broker.js';

/** Turns publications into the bytes one transport writes; one instance is shared by all its connections. */
export interface Encoder {
  message(publication: Publication): Buffer;
}

export interface Subscriber {
  readonly encoder: Encoder;
  /**
   * Queue bytes for this connection; the hub's flush writes them once per event-loop turn.
   * `publication` is given when the frame is that publication's (shared) encoding. Returns false
   * when the frame was not taken (closed, or over its limit), which the hub counts as dropped.
   */
  send(frame: Buffer, publication?: Publication): boolean;
  /** Write everything queued in as few socket writes as possible. */
  flush(): void;
  /** The hub cannot buffer more for this subscriber: it must go (and recover when it returns). */
  overflow(): void;
}
