/**
 * @module auth/api-key
 * Publisher authentication by API key (`Authorization: Bearer <key>`). Keys are compared as
 * SHA-256 digests with timingSafeEqual against every configured key, so neither the time taken
 * nor the answer reveals which key exists or how much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';

/** Checks a backend request; throws `unauthorized` when it may not publish. */
export type PublisherAuthenticator = (headers: IncomingHttpHeaders) => void;

const digest = (value: string) => createHash('sha256').update(value).digest();

export function apiKeyAuthenticator(keys: readonly string[]): PublisherAuthenticator {
  const digests = keys.map(digest);
  return (headers) => {
    const header = headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new HeraldError(ErrorCode.Unauthorized, 'missing credentials: send Authorization: Bearer <api key>');
    const presented = digest(match[1]!);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, presented) || ok;
    if (!ok) throw new HeraldError(ErrorCode.Unauthorized, 'invalid credentials');
  };
}
