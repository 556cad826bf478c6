/**
 * @module hooks/connect
 * Authentication through the connect hook: a connection that brings no token is described to the
 * backend (its allow-listed headers and cookies, transport and address), and the backend's answer
 * becomes its identity. So an app can authenticate with its session cookie and mint no JWT. A
 * connection with a token is checked as before (auth/client.ts), without calling the backend.
 */
import type { IncomingMessage } from 'node:http';
import { parseCookie } from 'cookie';
import type { ClientIdentity } from '../auth/access.js';
import { tokenFromRequest, type AddressOf, type ClientAuthenticator } from '../auth/client.js';
import type { HooksConfig } from '../config/schema.js';
import type { BackendHooks, ConnectRequest } from './hooks.js';

export function connectRequest(req: IncomingMessage, transport: ConnectRequest['transport'], address: string, config: Pick<HooksConfig, 'connect_headers' | 'connect_cookies'>): ConnectRequest {
  const headers: Record<string, string> = {};
  for (const name of config.connect_headers) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const cookies: Record<string, string> = {};
  const all = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
  for (const name of config.connect_cookies) {
    const value = all[name];
    if (value !== undefined) cookies[name] = value;
  }
  return { transport, address, headers, cookies };
}

/**
 * Wraps the token authenticator: no token and a connect hook → ask the backend. `admit` refuses
 * the backend's user as it would a token's (a blocked user, control API).
 */
export function withConnectHook(inner: ClientAuthenticator, hooks: BackendHooks, config: HooksConfig, addressOf: AddressOf, admit: (identity: ClientIdentity) => Promise<void>): ClientAuthenticator {
  const connect = hooks.connect;
  if (!connect) return inner;
  return async (req, transport = 'websocket') => {
    if (tokenFromRequest(req) !== undefined) return inner(req, transport);
    const result = await connect(connectRequest(req, transport, addressOf(req), config));
    const identity: ClientIdentity = { user: result.user, source: 'hook' };
    if (result.expires !== undefined) identity.expires = result.expires;
    if (result.info) identity.info = result.info;
    if (result.channels) identity.channels = result.channels;
    if (result.data !== undefined) identity.data = result.data;
    await admit(identity);
    return identity;
  };
}
