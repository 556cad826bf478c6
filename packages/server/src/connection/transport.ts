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
   * Told of every publication frame queued on this connection, in order (SSE: moves the stream's
   * position, which goes out once per flush as one `id:` line).
   */
  queued?(frame: Buffer, publication: Publication): void;
  /** Writes one flush's frames in one write; without it, write() gets them joined. */
  writeFrames?(frames: readonly Buffer[], bytes: number): void;
  /** Bytes accepted by write() that the peer has not taken yet. */
  bufferedBytes(): number;
  /** Call `listener` once the socket's buffer has drained (see Subscriber.onceDrained). */
  onceDrained(listener: () => void): void;
  close(code: number, reason: string): void;
}
