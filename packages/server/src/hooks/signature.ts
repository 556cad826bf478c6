/**
 * @module hooks/signature
 * Hook requests and answers are signed both ways with `hooks.secret` (docs/hooks.md#signatures):
 * `X-Herald-Hook-Signature: t=<unix seconds>,id=<request id>,v1=<hex HMAC-SHA256 of "t.id.body">`.
 * Herald signs each request with a fresh id; a backend signs its answer with the same id, so an
 * answer recorded for one request cannot be replayed for another.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HOOK_SIGNATURE_HEADER = 'x-herald-hook-signature';

function mac(secret: string, timestamp: number, id: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${id}.${body}`).digest('hex');
}

export function signHook(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},id=${id},v1=${mac(secret, timestamp, id, body)}`;
}

export interface HookSignature {
  timestamp: number;
  id: string;
}

/**
 * Checks a signature header over `body`; returns its timestamp and id when the MAC matches, else
 * undefined. The caller decides what else it needs (Herald: the id of its request; a backend: a
 * timestamp close to its clock, and ids it has not seen).
 */
export function verifyHook(secret: string, header: string | null | undefined, body: string): HookSignature | undefined {
  if (!header) return undefined;
  const fields = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')).trim(), part.slice(part.indexOf('=') + 1).trim()] as const));
  const timestamp = Number(fields.get('t'));
  const id = fields.get('id');
  const given = fields.get('v1');
  if (!Number.isSafeInteger(timestamp) || !id || !given || !/^[0-9a-f]{64}$/.test(given)) return undefined;
  const expected = Buffer.from(mac(secret, timestamp, id, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(given, 'hex')) ? { timestamp, id } : undefined;
}
