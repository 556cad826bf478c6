/**
 * @module auth/signature
 * Signed publisher requests, Herald's default scheme. The signature covers the method, the
 * request target (path and query), a timestamp, a nonce and the body's SHA-256, so a captured
 * request cannot be replayed (nonce), delayed (timestamp), redirected (path) or altered (body).
 *
 *   X-Herald-Signature: kid=<key id>,ts=<unix seconds>,nonce=<16-64 of [A-Za-z0-9_-]>,sig=<base64url>
 *   sig = base64url(HMAC-SHA256(secret, "HERALD-HMAC-SHA256\n" + METHOD + "\n" + target + "\n" + ts + "\n" + nonce + "\n" + hex(SHA-256(body))))
 *
 * docs/security.md has the recipe and test vectors for other languages.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { formatSignatureHeader, stringToSign as canonical } from '@herald/protocol';

export { SIGNATURE_HEADER } from '@herald/protocol';

export interface SignInput {
  method: string;
  /** Path and query exactly as sent, e.g. `/api/publish` or `/update?channel=news`. */
  target: string;
  body: string | Buffer;
  keyId: string;
  secret: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  nonce?: string;
}

export function stringToSign(method: string, target: string, timestamp: number, nonce: string, body: string | Buffer): string {
  return canonical(method, target, timestamp, nonce, createHash('sha256').update(body).digest('hex'));
}

/** The header value for a request; used by the SDK, the CLI and the tests. */
export function signRequest(input: SignInput): string {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomBytes(16).toString('base64url');
  const sig = createHmac('sha256', input.secret).update(stringToSign(input.method, input.target, timestamp, nonce, input.body)).digest('base64url');
  return formatSignatureHeader(input.keyId, timestamp, nonce, sig);
}

export interface ParsedSignature {
  keyId: string;
  timestamp: number;
  nonce: string;
  sig: string;
}

export function parseSignatureHeader(header: string): ParsedSignature | undefined {
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const keyId = fields.get('kid');
  const ts = fields.get('ts');
  const nonce = fields.get('nonce');
  const sig = fields.get('sig');
  if (!keyId || !ts || !/^\d{1,12}$/.test(ts) || !nonce || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || !sig || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return undefined;
  return { keyId, timestamp: Number(ts), nonce, sig };
}

/** Constant-time check of the signature; an unknown key id fails exactly like a wrong signature. */
export function signatureMatches(parsed: ParsedSignature, keys: ReadonlyMap<string, string>, method: string, target: string, body: string | Buffer): boolean {
  const secret = keys.get(parsed.keyId) ?? '\0unknown-key';
  const expected = createHmac('sha256', secret).update(stringToSign(method, target, parsed.timestamp, parsed.nonce, body)).digest();
  const presented = Buffer.from(parsed.sig, 'base64url');
  return presented.length === expected.length && timingSafeEqual(expected, presented) && keys.has(parsed.keyId);
}
