/**
 * @module transports/cursor
 * The position of every channel of an SSE stream or a long-poll request in one string: the SSE
 * event `id` (sent back by browsers as `Last-Event-ID`) and the long-poll `cursor` share it.
 *
 * Format: one entry per channel, in the order of the request's `channel` parameters, joined by
 * `,`; an entry is `epoch:offset` with the epoch percent-encoded, or empty for a channel that has
 * no position yet. One channel: `a1b2c3:18`; two: `a1b2c3:18,Zx9_Qw:4`. It is ASCII without
 * spaces, so it is safe in an SSE `id:` line, an HTTP header and a query parameter.

 */
import { ErrorCode, type StreamPosition } from '@herald/protocol';
import { HeraldError } from '../errors.js';

export { formatCursor, formatPosition } from '@herald/protocol';

/** Per channel of the request, in order: its position, or undefined when it has none yet. */
export type Positions = Array<StreamPosition | undefined>;

/** Parses a cursor for `count` channels; undefined or '' means no position for any of them. */
export function parseCursor(text: string | undefined, count: number, what: string): Positions {
  if (text === undefined || text === '') return new Array<undefined>(count).fill(undefined);
  const entries = text.split(',');
  if (entries.length !== count) {
    throw new HeraldError(ErrorCode.BadRequest, `${what} holds ${entries.length} positions for ${count} channels: send the channels in the same order as when it was issued`);
  }
  return entries.map((entry) => {
    if (entry === '') return undefined;
    const match = /^([^:]*):(\d+)$/.exec(entry);
    const offset = Number(match?.[2]);
    let epoch: string | undefined;
    try {
      if (match && Number.isSafeInteger(offset)) epoch = decodeURIComponent(match[1]!);
    } catch {
      // a broken %-escape: reported below
    }
    if (epoch === undefined) throw new HeraldError(ErrorCode.BadRequest, `${what} is malformed: expected epoch:offset per channel, comma-separated`);
    return { epoch, offset };
  });
}
