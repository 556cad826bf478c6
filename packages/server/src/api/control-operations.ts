/**
 * @module api/control-operations
 * Request, answer and route schemas of the control API (api/users.ts): what Fastify validates and
 * what the OpenAPI document says about each route, as api/operations does for the publish API.
 */
import { Type } from '@sinclair/typebox';
import type { FastifySchema } from 'fastify';
import { errorResponses } from './responses.js';

const User = Type.String({ minLength: 1, maxLength: 256, description: 'The user id: the `sub` claim (or `auth.jwt.user_claim`) of its tokens, URL-encoded.' });
const Client = Type.String({ minLength: 1, maxLength: 64, description: 'Act on this connection only (its `client` id, from the `connected` frame or the connections list).' });
const Channel = Type.String({ minLength: 1, description: '`namespace:name`, e.g. `orders:42`.' });
const UnixSeconds = (description: string) => Type.Integer({ minimum: 0, maximum: 32503680000, description });
const Nodes = Type.Integer({ minimum: 0, description: 'How many nodes answered within the second the command may take (each acted on its own connections).' });

export const UserParams = Type.Object({ user: User });

export const DisconnectBody = Type.Object(
  {
    client: Type.Optional(Client),
    code: Type.Optional(
      Type.Integer({ minimum: 4100, maximum: 4999, description: 'Close code: 4100-4499 tell the client to reconnect, 4500-4999 not to. Default: 4100 with `reconnect`, else 4500.' }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 100, description: 'Close reason shown to the client (default: "disconnected by the server").' })),
    reconnect: Type.Optional(Type.Boolean({ description: 'Whether the client may come back (default true); ignored when `code` is given.' })),
  },
  { additionalProperties: false, examples: [{ reconnect: false, reason: 'logged out' }] },
);

export const ChannelBody = Type.Object({ channel: Channel, client: Type.Optional(Client) }, { additionalProperties: false, examples: [{ channel: 'orders:42' }] });

export const RevokeTokenBody = Type.Object(
  {
    jti: Type.String({ minLength: 1, maxLength: 256, description: 'The `jti` claim of the token to revoke.' }),
    expires_at: Type.Optional(UnixSeconds("Keep the revocation until then: the token's `exp`. Default: now + `auth.jwt.revocation_ttl_seconds`.")),
  },
  { additionalProperties: false, examples: [{ jti: 'b1946ac9', expires_at: 1767225600 }] },
);

export const RevokeUserBody = Type.Object(
  {
    issued_before: Type.Optional(UnixSeconds("Revoke the user's tokens whose `iat` is before this time, and those without `iat`. Default: now.")),
    expires_at: Type.Optional(UnixSeconds('Keep the revocation until then (when the last such token expires). Default: now + `auth.jwt.revocation_ttl_seconds`.')),
  },
  { additionalProperties: false, examples: [{}] },
);

export const BlockBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 100, description: 'Told to the client in the close reason and connect refusals.' })),
    expires_at: Type.Optional(UnixSeconds('The block ends by itself then. Default: never (until unblocked).')),
  },
  { additionalProperties: false, examples: [{ reason: 'abuse', expires_at: 1767225600 }] },
);

export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const ConnectionsQuery = Type.Object(
  {
    channel: Channel,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100).' })),
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'From `next_cursor` of the previous page.' })),
  },
  { additionalProperties: false },
);

const ConnectionInfo = Type.Object(
  {
    client: Type.String(),
    user: Type.String({ description: 'Empty for an anonymous client.' }),
    node: Type.String({ description: 'The node it is connected to (`server.node_name`).' }),
    transport: Type.Union([Type.Literal('websocket'), Type.Literal('sse')]),
    channels: Type.Array(Type.String()),
    since: Type.String({ format: 'date-time', description: 'When it connected.' }),
    address: Type.String({ description: "The client's address (behind a trusted proxy, the forwarded one)." }),
  },
  { additionalProperties: false },
);

const EXAMPLE_CONNECTION = { client: 'c_Q2x1', user: 'u42', node: 'n1', transport: 'websocket', channels: ['orders:42'], since: '2026-12-01T17:00:00.000Z', address: '203.0.113.7' };

const ErrorList = Type.Array(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }), {
  description: 'Present when some node refused: the first refusal of each such node.',
});

const TAGS = ['control'];
const ERRORS = errorResponses(400, 401, 404, 429, 503);

const route = (operationId: string, summary: string, description: string, parts: FastifySchema): FastifySchema => ({ operationId, tags: TAGS, summary, description, ...parts });

export const disconnectRoute = route(
  'disconnectUser',
  "Disconnect a user's connections on every node",
  'Every node closes the connections it holds (or the one `client`) with the close code. Answers once every node answered, within a second.',
  {
    params: UserParams,
    body: DisconnectBody,
    response: {
      200: Type.Object({ user: Type.String(), disconnected: Type.Integer({ minimum: 0 }), nodes: Nodes }, { additionalProperties: false, examples: [{ user: 'u42', disconnected: 3, nodes: 3 }] }),
      ...ERRORS,
    },
  },
);

export const subscribeRoute = route(
  'subscribeUser',
  "Subscribe a user's live connections to a channel",
  "Server-side: no client permission is checked, the channel's own rules are (namespace, limits). Each WebSocket connection gets a `subscribed` frame (`server: true`), or `unsubscribed` with the cause when it refuses; SSE streams are not subscribed (they get `unsubscribed`, `transport_not_allowed`). A connection already subscribed is not counted.",
  {
    params: UserParams,
    body: ChannelBody,
    response: {
      200: Type.Object(
        { user: Type.String(), channel: Type.String(), subscribed: Type.Integer({ minimum: 0 }), nodes: Nodes, errors: Type.Optional(ErrorList) },
        { additionalProperties: false, examples: [{ user: 'u42', channel: 'orders:42', subscribed: 2, nodes: 3 }] },
      ),
      ...ERRORS,
    },
  },
);

export const unsubscribeRoute = route('unsubscribeUser', "Unsubscribe a user's live connections from a channel", 'Each connection that was subscribed gets an `unsubscribed` frame (SSE: `event: unsubscribed`).', {
  params: UserParams,
  body: ChannelBody,
  response: {
    200: Type.Object(
      { user: Type.String(), channel: Type.String(), unsubscribed: Type.Integer({ minimum: 0 }), nodes: Nodes },
      { additionalProperties: false, examples: [{ user: 'u42', channel: 'orders:42', unsubscribed: 2, nodes: 3 }] },
    ),
    ...ERRORS,
  },
});

export const userConnectionsRoute = route('listUserConnections', "A user's connections on every node", 'WebSocket and SSE connections, ordered by client id.', {
  params: UserParams,
  response: {
    200: Type.Object(
      { user: Type.String(), connections: Type.Array(ConnectionInfo), nodes: Nodes },
      { additionalProperties: false, examples: [{ user: 'u42', connections: [EXAMPLE_CONNECTION], nodes: 3 }] },
    ),
    ...ERRORS,
  },
});

export const channelConnectionsRoute = route('listChannelConnections', 'Connections subscribed to a channel, on every node', 'Ordered by client id, a page at a time: pass `next_cursor` as `cursor` for the next page.', {
  querystring: ConnectionsQuery,
  response: {
    200: Type.Object(
      { channel: Type.String(), connections: Type.Array(ConnectionInfo), next_cursor: Type.Optional(Type.String({ description: 'Absent on the last page.' })), nodes: Nodes },
      { additionalProperties: false, examples: [{ channel: 'orders:42', connections: [EXAMPLE_CONNECTION], nodes: 3 }] },
    ),
    ...ERRORS,
  },
});

const Disconnected = Type.Integer({ minimum: 0, description: 'Live connections it closed (code 4001, or 4503 for a block).' });

export const revokeTokenRoute = route('revokeToken', 'Revoke a token by its jti', 'The token cannot connect or authenticate again on any node, and connections using it are closed with 4001 within a second.', {
  body: RevokeTokenBody,
  response: {
    200: Type.Object(
      { jti: Type.String(), expires_at: Type.Integer(), disconnected: Disconnected, nodes: Nodes },
      { additionalProperties: false, examples: [{ jti: 'b1946ac9', expires_at: 1767225600, disconnected: 1, nodes: 3 }] },
    ),
    ...ERRORS,
  },
});

export const revokeUserRoute = route('revokeUserTokens', "Revoke a user's tokens issued before a time", 'Tokens whose `iat` is earlier (or missing) are refused on every node and their connections closed with 4001 within a second; tokens issued later work.', {
  params: UserParams,
  body: RevokeUserBody,
  response: {
    200: Type.Object(
      { user: Type.String(), issued_before: Type.Integer(), expires_at: Type.Integer(), disconnected: Disconnected, nodes: Nodes },
      { additionalProperties: false, examples: [{ user: 'u42', issued_before: 1764608400, expires_at: 1765213200, disconnected: 2, nodes: 3 }] },
    ),
    ...ERRORS,
  },
});

const BlockState = Type.Object(
  {
    user: Type.String(),
    blocked: Type.Boolean(),
    reason: Type.Optional(Type.String()),
    expires_at: Type.Optional(Type.Integer({ description: 'Absent: until unblocked.' })),
    disconnected: Type.Optional(Disconnected),
    nodes: Type.Optional(Nodes),
  },
  { additionalProperties: false, examples: [{ user: 'u42', blocked: true, reason: 'abuse', expires_at: 1767225600, disconnected: 2, nodes: 3 }] },
);

export const blockRoute = route('blockUser', 'Block a user', "The user cannot connect or authenticate on any node (4503 / 401 `user_blocked`) until unblocked or `expires_at`; its connections are closed with 4503 within a second. Kept in the engine: it survives node restarts.", {
  params: UserParams,
  body: BlockBody,
  response: { 200: BlockState, ...ERRORS },
});

export const unblockRoute = route('unblockUser', 'Unblock a user', 'Its next connect works again, on every node.', {
  params: UserParams,
  body: EmptyBody,
  response: {
    200: Type.Object({ user: Type.String(), unblocked: Type.Boolean({ description: 'Whether it was blocked.' }) }, { additionalProperties: false, examples: [{ user: 'u42', unblocked: true }] }),
    ...ERRORS,
  },
});

export const blockStateRoute = route('getUserBlock', "A user's block", 'Whether the user is blocked now, why and until when.', {
  params: UserParams,
  response: { 200: BlockState, ...ERRORS },
});
