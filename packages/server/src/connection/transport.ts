/**
 * @module connection/transport
 * What a connection needs from the socket or request it lives on.
 */
import type { ServerFrame } from '@herald/protocol';
import type { ChannelEvent, Publication } from '../broker/broker.js';
import type { Encoder } from '../hub/subscriber.js';

export type TransportName = 'websocket' | 'sse' | 'longpoll';

/** A streaming connection's encoder: every such transport (WebSocket, SSE) carries presence events. */
export interface FrameEncoder extends Encoder {
  frame(frame: ServerFrame): Buffer;
  event(event: ChannelEvent): Buffer;
}

export interface Transport {
  readonly name: TransportName;
  readonly encoder: FrameEncoder;
  write(data: Buffer): void;
  /**
   * Bytes of this connection's own to follow a publication's shared frame, if any (SSE: the
   * `id:` line, which holds the positions of every channel of this stream).
   */
  trailer?(publication: Publication): Buffer;
  /** Bytes accepted by write() that the peer has not taken yet. */
  bufferedBytes(): number;
  /** Call `listener` once the socket's buffer has drained (see Subscriber.onceDrained). */
  onceDrained(listener: () => void): void;
  close(code: number, reason: string): void;
}
