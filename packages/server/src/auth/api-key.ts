/**
 * @module auth/api-key
 * Publisher API keys (`Authorization: Bearer <key>`). Keys are compared as SHA-256 digests with
 * timingSafeEqual against every configured key, so neither the time taken nor the answer
 * reveals which key exists or how much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function apiKeyMatcher(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  };
}
