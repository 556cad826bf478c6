/**
 * @module auth/time-token
 * Seed 000's time-based publisher token, byte-compatible so its backends work unchanged:
 * `X-API-Token: base64url("<window>:<mac>")`, window = floor(unix seconds / window length),
 * mac = base64url(HMAC-SHA256(secret, decimal window)). Its format is not RFC 6238 TOTP (no
 * digits, no counter bytes), so no TOTP library produces it; node:crypto does the work.
 *
 * It binds nothing but time: within its window it works for any channel and any body. Signed
 * requests (signature.ts) close that gap; this scheme exists for compatibility.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TimeTokenOptions {
  windowSeconds: number;
  skewWindows: number;
}

export function mintTimeToken(secret: string, options: Pick<TimeTokenOptions, 'windowSeconds'>, nowMs = Date.now()): string {
  const window = Math.floor(nowMs / 1000 / options.windowSeconds);
  return Buffer.from(`${window}:${mac(secret, window)}`).toString('base64url');
}

function mac(secret: string, window: number): string {
  return createHmac('sha256', secret).update(String(window)).digest('base64url');
}

export type TimeTokenResult = 'ok' | 'malformed' | 'expired' | 'invalid';

/** Checks a token against every secret (rotation) without revealing which one exists. */
export function verifyTimeToken(token: string, secrets: readonly string[], options: TimeTokenOptions, nowMs = Date.now()): TimeTokenResult {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return 'malformed';
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{43})$/.exec(decoded);
  if (!match) return 'malformed';
  const window = Number(match[1]);
  const presented = Buffer.from(match[2]!);
  let valid = false;
  for (const secret of secrets) valid = timingSafeEqual(Buffer.from(mac(secret, window)), presented) || valid;
  if (!valid) return 'invalid';
  const current = Math.floor(nowMs / 1000 / options.windowSeconds);
  return Math.abs(current - window) <= options.skewWindows ? 'ok' : 'expired';
}
