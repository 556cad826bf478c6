/**
 * @module transports/drain
 * Waiting for a socket (or an HTTP response) to take what it buffers, for conflation (hub/conflation.ts).
 */
import type { Writable } from 'node:stream';

/** How soon to look again when the stream was not waiting for 'drain' (the bytes still sit in the connection's outbox). */
const RECHECK_MS = 5;

/** Call `listener` once: at `stream`'s next 'drain' if it is waiting for one, else shortly. */
export function onceDrained(stream: Writable, listener: () => void): void {
  if (stream.writableNeedDrain) stream.once('drain', listener);
  else setTimeout(listener, RECHECK_MS).unref();
}
