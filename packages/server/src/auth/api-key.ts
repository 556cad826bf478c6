/**
 * @module auth/api-key
 * Publisher API keys (`Authorization: Bearer <key>`). Keys are compared as SHA-256 digests with
 * timingSafeEqual against every configured key, so neither the time taken nor the answer
 * reveals which key exists or how much of one matched. A key that matched keeps its digest, so
 * a backend's repeated key is not hashed again; whether a string was remembered tells a caller
 * only what its earlier 200 already told it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();
/** Presented keys whose digest is remembered; only keys that matched, so refusals cannot fill it. */
const MAX_REMEMBERED = 64;

export function apiKeyMatcher(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  // Hashing is most of a check's cost and a backend presents the same key on every publish. A
  // remembered digest still goes through the same constant-time compare against every key.
  const remembered = new Map<string, Buffer>();
  return (presented) => {
    const d = remembered.get(presented) ?? digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    if (ok && remembered.size < MAX_REMEMBERED) remembered.set(presented, d);
    return ok;
  };
}
