/**
 * @module protocols/pusher/signature
 * Pusher's HMAC-SHA256 signatures, checked in constant time: channel authorization
 * (`<socket_id>:<channel>[:<channel_data>]`), user sign-in (`<socket_id>::user::<user_data>`)
 * and the HTTP API's request signature (`METHOD\nPATH\nsorted query`). Test vectors are in
 * signature.test.ts and docs/pusher.md.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Constant-time comparison of two hex (or any ASCII) strings; unequal lengths are unequal. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compare equal-length buffers either way, so the time does not say how long the expected value is.
  return timingSafeEqual(x.length === y.length ? x : y, y) && x.length === y.length;
}

/** Whether `auth` (`"<key>:<hex>"`) signs `text` with this app's key and secret. */
export function authMatches(app: { key: string; secret: string }, auth: unknown, text: string): boolean {
  if (typeof auth !== 'string') return false;
  const colon = auth.indexOf(':');
  if (colon === -1) return false;
  const keyOk = safeEqual(auth.slice(0, colon), app.key);
  const sigOk = safeEqual(auth.slice(colon + 1), hmacHex(app.secret, text));
  return keyOk && sigOk;
}

export function channelAuthText(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

export function userAuthText(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

export function md5Hex(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

/**
 * The string the HTTP API signs: method, path and every query parameter but `auth_signature`,
 * keys lower-cased, sorted by key, joined `k=v&…` with the values as sent, not URL-escaped.
 */
export function requestSigningText(method: string, path: string, params: ReadonlyMap<string, string>): string {
  const query = [...params]
    .filter(([k]) => k !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}\n${path}\n${query}`;
}

/** Query parameters of a raw query string, keys lower-cased, values decoded (SDKs differ in what they escape). */
export function queryParams(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    params.set(decode(key).toLowerCase(), decode(value));
  }
  return params;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
