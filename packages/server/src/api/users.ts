/**
 * @module api/users
 * The control API's HTTP routes: each parses its request and calls control/control.ts, which acts
 * on every node. Same credentials as publishing (api/publisher-auth).
 */
import { CloseCode, ErrorCode } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Control } from '../control/control.js';
import { HeraldError } from '../errors.js';
import type { ApiContext } from './context.js';
import {
  blockRoute,
  blockStateRoute,
  channelConnectionsRoute,
  disconnectRoute,
  revokeTokenRoute,
  revokeUserRoute,
  subscribeRoute,
  unblockRoute,
  unsubscribeRoute,
  userConnectionsRoute,
  type BlockBody,
  type ChannelBody,
  type ConnectionsQuery,
  type DisconnectBody,
  type RevokeTokenBody,
  type RevokeUserBody,
  type UserParams,
} from './control-operations.js';

const DEFAULT_PAGE = 100;

type Params = { Params: Static<typeof UserParams> };

export function registerUserRoutes(app: FastifyInstance, ctx: ApiContext, control: Control): void {
  // A POST without a body means "no options": Fastify then has nothing to validate against the body schema.
  app.addHook('preValidation', async (req) => {
    if (req.method === 'POST' && req.body === undefined) req.body = {};
  });

  app.post<Params & { Body: Static<typeof DisconnectBody> }>('/api/users/:user/disconnect', { schema: disconnectRoute }, async (req) => {
    const { client, code, reason, reconnect = true } = req.body;
    const closeCode = code ?? (reconnect ? CloseCode.ServerReconnect : CloseCode.ServerDisconnect);
    const target = client === undefined ? { user: req.params.user } : { user: req.params.user, client };
    return { user: req.params.user, ...(await control.disconnect(target, closeCode, reason ?? 'disconnected by the server')) };
  });

  app.post<Params & { Body: Static<typeof ChannelBody> }>('/api/users/:user/subscribe', { schema: subscribeRoute }, async (req) => {
    const { user } = req.params;
    const channel = ctx.channels.resolve(req.body.channel).name;
    const target = req.body.client === undefined ? { user } : { user, client: req.body.client };
    return { user, channel, ...(await control.subscribe(target, channel)) };
  });

  app.post<Params & { Body: Static<typeof ChannelBody> }>('/api/users/:user/unsubscribe', { schema: unsubscribeRoute }, async (req) => {
    const { user } = req.params;
    const channel = ctx.channels.resolve(req.body.channel).name;
    const target = req.body.client === undefined ? { user } : { user, client: req.body.client };
    return { user, channel, ...(await control.unsubscribe(target, channel)) };
  });

  app.get<Params>('/api/users/:user/connections', { schema: userConnectionsRoute }, async (req) => ({ user: req.params.user, ...(await control.connections(req.params.user)) }));

  app.get<{ Querystring: Static<typeof ConnectionsQuery> }>('/api/connections', { schema: channelConnectionsRoute }, async (req) => {
    const channel = ctx.channels.resolve(req.query.channel).name;
    const { cursor, limit = DEFAULT_PAGE } = req.query;
    const { connections, nodes } = await control.channelConnections(channel);
    const rest = cursor === undefined ? connections : connections.filter((c) => c.client > cursor);
    const page = rest.slice(0, limit);
    return rest.length > limit ? { channel, connections: page, next_cursor: page[page.length - 1]!.client, nodes } : { channel, connections: page, nodes };
  });

  app.post<{ Body: Static<typeof RevokeTokenBody> }>('/api/tokens/revoke', { schema: revokeTokenRoute }, async (req) => {
    checkFuture(req.body.expires_at);
    return control.revokeToken(req.body.jti, req.body.expires_at);
  });

  app.post<Params & { Body: Static<typeof RevokeUserBody> }>('/api/users/:user/revoke', { schema: revokeUserRoute }, async (req) => {
    checkFuture(req.body.expires_at);
    return control.revokeUser(req.params.user, req.body.issued_before ?? Math.floor(Date.now() / 1000), req.body.expires_at);
  });

  app.post<Params & { Body: Static<typeof BlockBody> }>('/api/users/:user/block', { schema: blockRoute }, async (req) => {
    checkFuture(req.body.expires_at);
    return control.block(req.params.user, req.body.reason ?? '', req.body.expires_at);
  });

  app.post<Params>('/api/users/:user/unblock', { schema: unblockRoute }, async (req) => control.unblock(req.params.user));

  app.get<Params>('/api/users/:user/block', { schema: blockStateRoute }, async (req) => {
    const block = await control.blockOf(req.params.user);
    return block ? { user: req.params.user, blocked: true, ...block } : { user: req.params.user, blocked: false };
  });
}

/** An expiry already past would store nothing useful: say so instead. */
function checkFuture(expiresAt: number | undefined): void {
  if (expiresAt !== undefined && expiresAt * 1000 <= Date.now()) throw new HeraldError(ErrorCode.BadRequest, 'expires_at is in the past');
}
