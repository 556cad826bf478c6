/**
 * @module cursor
 * The position of every channel of an SSE stream or a long-poll request in one string (the SSE
 * `id` / `Last-Event-ID`, and the long-poll `cursor`): `epoch:offset` per channel, epoch
 * percent-encoded, in the request's channel order, joined by `,`; empty for a channel without a
 * position. Shared so the server and the SDK cannot disagree on it.
 */
import type { StreamPosition } from './messages.js';

export function formatPosition(position: StreamPosition | undefined): string {
  return position ? `${encodeURIComponent(position.epoch)}:${position.offset}` : '';
}

export function formatCursor(positions: ReadonlyArray<StreamPosition | undefined>): string {
  return positions.map(formatPosition).join(',');
}
