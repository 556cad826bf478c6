/**
 * @module hooks/signature
 * Hook requests and answers are signed both ways with `hooks.secret` (docs/hooks.md#signatures):
 * `X-Herald-Hook-Signature: t=<unix seconds>,id=<request id>,v1=<hex HMAC-SHA256 of "t.id.body">`.
 * Herald signs each request with a fresh id; a backend signs its answer with the same id, so an
 * answer recorded for one request cannot be replayed for another. The format lives in
 * @herald/protocol, shared with the backend SDK's verifier (@herald/publisher).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatHookSignature, hookStringToSign, parseHookSignature } from '@herald/protocol';

export { HOOK_SIGNATURE_HEADER } from '@herald/protocol';

const mac = (secret: string, timestamp: number, id: string, body: string) => createHmac('sha256', secret).update(hookStringToSign(timestamp, id, body)).digest('hex');

export function signHook(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return formatHookSignature(timestamp, id, mac(secret, timestamp, id, body));
}

export interface HookSignature {
  timestamp: number;
  id: string;
}

/**
 * Checks a signature header over `body`; returns its timestamp and id when the MAC matches, else
 * undefined. The caller decides what else it needs (Herald: the id of its request).
 */
export function verifyHook(secret: string, header: string | null | undefined, body: string): HookSignature | undefined {
  const parsed = parseHookSignature(header);
  if (!parsed) return undefined;
  const expected = Buffer.from(mac(secret, parsed.timestamp, parsed.id, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(parsed.macHex, 'hex')) ? { timestamp: parsed.timestamp, id: parsed.id } : undefined;
}
