/**
 * @module auth/client
 * Client (browser, app, CLI) authentication: every transport passes the incoming request
 * through one ClientAuthenticator before a connection exists, and the identity it returns
 * travels with the connection for permission checks. Tokens come from `Authorization: Bearer`,
 * or from the `token` / `access_token` query parameter (browsers cannot set headers on a
 * WebSocket); without one the client is anonymous and may still send an `auth` frame.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '@herald/protocol';
import type { TransportName } from '../connection/transport.js';
import { HeraldError } from '../errors.js';
import { ANONYMOUS, type AccessControl, type ClientIdentity } from './access.js';
import type { FailureLimiter } from './failure-limiter.js';

export type { ClientIdentity } from './access.js';

/**
 * Resolves with the identity, or rejects with a HeraldError (`unauthorized`, `rate_limited`; with
 * the connect hook, the backend's refusal or `unavailable`).
 */
export type ClientAuthenticator = (req: IncomingMessage, transport?: TransportName) => Promise<ClientIdentity>;

export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (bearer) return bearer;
  const query = req.url?.includes('?') ? new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)) : undefined;
  return query?.get('token') ?? query?.get('access_token') ?? undefined;
}

/** The peer's address, or the client's behind a trusted proxy (server.trust_proxy). */
export type AddressOf = (req: IncomingMessage) => string;
export const peerAddress: AddressOf = (req) => req.socket.remoteAddress ?? '';

/**
 * Refused client credentials, wherever presented (a connect, an `auth` frame, a subscription
 * token): counted per address in the failure limiter and, by reason, in the metrics.
 */
export class ClientFailures {
  /** `onFailure` is told the reason code of every refusal (metrics). */
  constructor(
    readonly limiter: FailureLimiter,
    readonly onFailure: (reason: string) => void = () => {},
  ) {}

  blocked(address: string): boolean {
    return this.limiter.blocked(address);
  }

  /** Throws `rate_limited` (counted) while the address is over the limit: not even a correct token is tried. */
  check(address: string): void {
    if (!this.limiter.blocked(address)) return;
    this.onFailure('rate_limited');
    throw new HeraldError(ErrorCode.RateLimited, 'too many failed authentications from this address; retry after a minute');
  }

  record(address: string, err: unknown): void {
    this.limiter.recordFailure(address);
    this.onFailure(err instanceof HeraldError ? (err.reason ?? err.code) : 'internal');
  }
}

export function createClientAuthenticator(access: AccessControl, failures: ClientFailures, addressOf: AddressOf = peerAddress): ClientAuthenticator {
  return async (req) => {
    const token = tokenFromRequest(req);
    if (token === undefined || !access.enabled) return ANONYMOUS;
    const address = addressOf(req);
    failures.check(address);
    try {
      return await access.identify(token);
    } catch (err) {
      failures.record(address, err);
      throw err;
    }
  };
}

/** Browser origins allowed to connect; no Origin header (a non-browser client) is always allowed. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin === undefined || allowed.length === 0 || allowed.includes(origin) || allowed.includes('*');
}
