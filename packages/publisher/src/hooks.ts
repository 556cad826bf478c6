/**
 * @module hooks
 * For a backend that serves Herald's hooks (docs/hooks.md): check that a request comes from
 * Herald, and sign the answer so Herald can check it came from you (`hooks.verify_responses`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatHookSignature, hookStringToSign, parseHookSignature } from '@herald/protocol';

export { HOOK_SIGNATURE_HEADER } from '@herald/protocol';

const mac = (secret: string, timestamp: number, id: string, body: string) => createHmac('sha256', secret).update(hookStringToSign(timestamp, id, body)).digest('hex');

export interface VerifiedHookRequest {
  /** The request id: sign the answer with it; refuse an id seen before to stop replays. */
  id: string;
  timestamp: number;
}

/**
 * Checks the `X-Herald-Hook-Signature` of a hook request over its raw body (the exact text):
 * the MAC with `secret`, and a timestamp within `toleranceSeconds` (default 60) of this clock.
 * Returns the request id, or undefined: answer such a request 401 and do not act on it.
 */
export function verifyHookRequest(secret: string, header: string | null | undefined, body: string, options: { toleranceSeconds?: number; now?: number } = {}): VerifiedHookRequest | undefined {
  const parsed = parseHookSignature(header);
  if (!parsed) return undefined;
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - parsed.timestamp) > (options.toleranceSeconds ?? 60)) return undefined;
  const expected = Buffer.from(mac(secret, parsed.timestamp, parsed.id, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(parsed.macHex, 'hex'))) return undefined;
  return { id: parsed.id, timestamp: parsed.timestamp };
}

/** The `X-Herald-Hook-Signature` value for your answer `body` to the request with this `id`. */
export function signHookAnswer(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return formatHookSignature(timestamp, id, mac(secret, timestamp, id, body));
}
