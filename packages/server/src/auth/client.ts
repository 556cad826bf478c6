/**
 * @module auth/client
 * Client (browser, app, CLI) authentication: every transport passes the incoming request
 * through one ClientAuthenticator before a connection exists, and the identity it returns
 * travels with the connection for permission checks.
 */
import type { IncomingMessage } from 'node:http';

export interface ClientIdentity {
  /** User id (a token's `sub`); empty for an anonymous client. */
  user: string;
}

/** Resolves with the identity, or rejects with a HeraldError (`unauthorized`, `forbidden`). */
export type ClientAuthenticator = (req: IncomingMessage) => Promise<ClientIdentity>;

export const anonymousClients: ClientAuthenticator = async () => ({ user: '' });
