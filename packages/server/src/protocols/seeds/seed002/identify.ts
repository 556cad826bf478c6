/**
 * @module protocols/seeds/seed002/identify
 * Who a seed 002 client is, as the seed decided it: with JWTs on, the token (Authorization
 * Bearer, `?token=`, `?access_token=`) is required; without, `?user_id=` is taken on trust.
 * Refusals are the seed's HTTP answers, before the upgrade.
 */
import type { IncomingMessage } from 'node:http';
import type { ClientIdentity } from '../../../auth/access.js';
import { tokenFromRequest, type ClientAuthenticator } from '../../../auth/client.js';
import { messageOf, statusOf } from '../http.js';

export class Refusal {
  constructor(
    readonly status: number,
    readonly error: string,
  ) {}
}

export async function identifySeed002(req: IncomingMessage, query: URLSearchParams, jwt: boolean, authenticate: ClientAuthenticator): Promise<ClientIdentity | Refusal> {
  const token = tokenFromRequest(req);
  if (!jwt) {
    if (token !== undefined) return new Refusal(400, 'JWT is not enabled (JWT_SECRET unset): pass user_id=... instead of a token');
    const user = query.get('user_id');
    return user ? { user } : new Refusal(400, 'missing user_id');
  }
  if (token === undefined) return new Refusal(401, 'missing token');
  try {
    const identity = await authenticate(req);
    return identity.user === '' ? new Refusal(401, 'invalid token: no user') : identity;
  } catch (err) {
    return statusOf(err) === 429 ? new Refusal(429, messageOf(err)) : new Refusal(401, `invalid token: ${messageOf(err)}`);
  }
}
