/**
 * @module json/raw
 * A publication's `data` travels as the publisher's own JSON text, from the request body or frame
 * to every subscriber, engine and history read: never parsed back into a value and re-serialised,
 * so big integers, `1e400`, `-0`, `1.0` and `\u` escapes arrive exactly as sent (only insignificant
 * whitespace is dropped). Frames around it are built by string concatenation.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import { spanText, type JsonScan } from './scan.js';

declare const validJson: unique symbol;
/** JSON text of one value, already validated, without whitespace outside its strings. */
export type RawJson = string & { readonly [validJson]: true };

/** A value the server made itself (not a publisher's text). */
export function toRawJson(value: unknown): RawJson {
  return JSON.stringify(value) as RawJson;
}

/** Text that was validated when it entered Herald (what an engine stored, what a node relayed). */
export function trustedRawJson(text: string): RawJson {
  return text as RawJson;
}

/** The text of a member of the top-level object; call only after JSON.parse accepted `text`. */
export function rawMember(text: string, scan: JsonScan, key: string): RawJson {
  const span = scan.members?.get(key);
  if (!span) throw new HeraldError(ErrorCode.Internal, `no "${key}" member in the scanned JSON`);
  return spanText(text, span) as RawJson;
}

/** The whole text as one value; call only after JSON.parse accepted `text`. */
export function rawRoot(text: string, scan: JsonScan): RawJson {
  return spanText(text, scan.root) as RawJson;
}
