/**
 * @module delta
 * Delta compression on the client side: a message of a delta subscription carries either the
 * full `data` (whose exact text becomes the base) or a fossil delta against the previous
 * message's text. `fossil-delta` applies it and checks the result's size and checksum; the
 * result must also be valid UTF-8 and JSON. Any failure means the base is not the server's, and
 * the subscription resubscribes from its last position (see subscription.ts).
 */
import { applyDelta } from 'fossil-delta';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The exact text of a message frame's `data`: Herald writes it as the frame's last member, and
 * `,"data":` cannot occur earlier (inside a JSON string its quote would be escaped).
 */
export function rawData(frameText: string): string | undefined {
  const at = frameText.indexOf(',"data":');
  return at === -1 || !frameText.endsWith('}') ? undefined : frameText.slice(at + 8, -1);
}

/** A full message's data text as the next delta's base. */
export function baseOf(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Apply a delta (a string, one character per byte) to `base`: the new base and its parsed value. Throws when it does not check out. */
export function applyTo(base: Uint8Array, delta: unknown): { base: Uint8Array; data: unknown } {
  if (typeof delta !== 'string') throw new Error('a delta message must carry a string');
  const bytes = new Uint8Array(delta.length);
  for (let i = 0; i < delta.length; i++) {
    const c = delta.charCodeAt(i);
    if (c > 0xff) throw new Error('a delta holds bytes, one character each');
    bytes[i] = c;
  }
  const out = applyDelta(base, bytes);
  return { base: out, data: JSON.parse(strictUtf8.decode(out)) as unknown };
}
