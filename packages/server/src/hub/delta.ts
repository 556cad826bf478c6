/**
 * @module hub/delta
 * Delta compression of a publication's `data` against the channel's previous publication on this
 * node, in the fossil delta format (the `fossil-delta` package; the format Centrifugo uses, with
 * its own size and checksum checks that the client verifies).
 *
 * The delta is made from the UTF-8 bytes of the two raw JSON texts (json/raw) and carried as a
 * JSON string with one character per byte (latin1): JSON text has no control characters for the
 * literal runs to escape, so an ASCII document's delta costs about its own length on the wire,
 * and a client gets the bytes back with `charCodeAt`. A string delta (UTF-8 decoded) would break
 * when a copy boundary falls inside a multi-byte character.
 */
import { createDelta } from 'fossil-delta';
import type { StreamPosition } from '@herald/protocol';
import type { Publication } from '../broker/broker.js';

/** The previous publication of a channel on this node: what the next one's delta is made against. */
export interface DeltaBase extends StreamPosition {
  bytes: Buffer;
}

export function deltaBase(publication: Publication): DeltaBase {
  return { offset: publication.offset, epoch: publication.epoch, bytes: Buffer.from(publication.data, 'utf8') };
}

/**
 * The JSON string literal of the delta from `base` to `next`'s data, or undefined when it would
 * not be smaller than the data itself (then the full payload goes).
 */
export function encodeDelta(base: DeltaBase, next: DeltaBase): string | undefined {
  const delta = createDelta(base.bytes, next.bytes);
  const literal = JSON.stringify(Buffer.from(delta.buffer, delta.byteOffset, delta.byteLength).toString('latin1'));
  // Characters above 0x7f take two bytes of UTF-8 on the wire; literal.length undercounts them.
  return Buffer.byteLength(literal, 'utf8') < next.bytes.length ? literal : undefined;
}
