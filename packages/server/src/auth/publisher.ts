/**
 * @module auth/publisher
 * Authenticates backend requests to the publish API with whichever scheme the request uses:
 * a signed request (`X-Herald-Signature`), a seed-000 time token (`X-API-Token`) or an API key
 * (`Authorization: Bearer`). Failures are 401 with a reason that never says which secret
 * exists; an address that keeps failing is refused with 429 for the rest of the minute.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import { apiKeyMatcher } from './api-key.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { ReplayCache } from './replay-cache.js';
import { parseSignatureHeader, SIGNATURE_HEADER, signatureMatches } from './signature.js';
import { verifyTimeToken, type TimeTokenOptions } from './time-token.js';

export interface PublisherRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw body bytes (empty for GET). */
  body: Buffer;
  ip: string;
}

/**
 * Returns undefined when the request may publish and throws `unauthorized` or `rate_limited` when
 * it may not, at once; only a signed request, whose nonce is claimed in the engine, answers with a
 * promise (resolves or rejects the same way). No promise on the common path: it runs per publish.
 */
export type PublisherAuthenticator = (req: PublisherRequest) => Promise<void> | undefined;

export interface PublisherAuthOptions {
  apiKeys: readonly string[];
  signingKeys: Readonly<Record<string, string>>;
  toleranceSeconds: number;
  timeTokenSecrets: readonly string[];
  timeToken: TimeTokenOptions;
  replay: ReplayCache;
  limiter: FailureLimiter;
  /** Told the reason code of every refusal (metrics). */
  onFailure?: (reason: string) => void;
}

export const Reason = {
  Missing: 'missing_credentials',
  Malformed: 'malformed_credentials',
  Invalid: 'invalid_credentials',
  Expired: 'expired_credentials',
  Replayed: 'replayed_request',
} as const;

/** The reason counted when an address is refused for failing too often (it gets a 429). */
export const RATE_LIMITED = 'rate_limited';

const MESSAGES: Record<string, string> = {
  [Reason.Missing]: 'missing credentials: sign the request (X-Herald-Signature), or send X-API-Token or Authorization: Bearer <api key>',
  [Reason.Malformed]: 'malformed credentials',
  [Reason.Invalid]: 'invalid credentials',
  [Reason.Expired]: 'credentials expired: check the clock of the sender',
  [Reason.Replayed]: 'this signed request was already used; sign every request with a fresh nonce',
};

export function createPublisherAuthenticator(options: PublisherAuthOptions): PublisherAuthenticator {
  const apiKeyOk = apiKeyMatcher(options.apiKeys);
  const signingKeys = new Map(Object.entries(options.signingKeys));

  function check(req: PublisherRequest): string | undefined | Promise<string | undefined> {
    const signature = req.headers[SIGNATURE_HEADER];
    if (typeof signature === 'string') {
      if (signingKeys.size === 0) return Reason.Invalid;
      const parsed = parseSignatureHeader(signature);
      if (!parsed) return Reason.Malformed;
      if (!signatureMatches(parsed, signingKeys, req.method, req.url, req.body)) return Reason.Invalid;
      if (Math.abs(Date.now() / 1000 - parsed.timestamp) > options.toleranceSeconds) return Reason.Expired;
      return options.replay.claim(`sig:${parsed.keyId}:${parsed.nonce}`, options.toleranceSeconds * 2000).then((fresh) => (fresh ? undefined : Reason.Replayed));
    }
    const timeToken = req.headers['x-api-token'];
    if (typeof timeToken === 'string') {
      if (options.timeTokenSecrets.length === 0) return Reason.Invalid;
      const result = verifyTimeToken(timeToken, options.timeTokenSecrets, options.timeToken);
      return result === 'ok' ? undefined : result === 'malformed' ? Reason.Malformed : result === 'expired' ? Reason.Expired : Reason.Invalid;
    }
    const authorization = req.headers.authorization;
    if (authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) return Reason.Malformed;
      return options.apiKeys.length > 0 && apiKeyOk(match[1]!) ? undefined : Reason.Invalid;
    }
    return Reason.Missing;
  }

  return (req) => {
    if (options.limiter.blocked(req.ip)) {
      options.onFailure?.(RATE_LIMITED);
      throw new HeraldError(ErrorCode.RateLimited, 'too many failed authentications from this address; retry after a minute');
    }
    const reason = check(req);
    if (typeof reason === 'object') return reason.then((later) => refuse(req, later));
    refuse(req, reason);
    return undefined;
  };

  function refuse(req: PublisherRequest, reason: string | undefined): void {
    if (reason === undefined) return;
    options.limiter.recordFailure(req.ip);
    options.onFailure?.(reason);
    throw new HeraldError(ErrorCode.Unauthorized, MESSAGES[reason]!, reason);
  }
}
