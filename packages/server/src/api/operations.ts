/**
 * @module api/operations
 * The route schemas of the HTTP API: what Fastify validates (request schemas from api/schemas)
 * together with what the OpenAPI document says about each route (api/openapi renders them).
 */
import { Type } from '@sinclair/typebox';
import type { FastifySchema } from 'fastify';
import {
  BroadcastResult,
  ChannelInfo,
  ChannelList,
  errorResponses,
  HistoryResult,
  Liveness,
  NotReady,
  PollResult,
  PresenceResult,
  PublishResult,
  Ready,
  WebhookList,
} from './responses.js';
import { BroadcastBody, ChannelParams, EventBody, HistoryQuery, IdempotencyHeaders, MAX_BATCH_PUBLICATIONS, PublishBatchBody, PublishBody, SeedQuery } from './schemas.js';

/** Routes anyone may call: no credentials. */
const OPEN: FastifySchema['security'] = [];

const published = (description: string) => Type.Ref(PublishResult, { description });
const PUBLISH_ERRORS = errorResponses(400, 401, 403, 404, 413, 415, 429, 503);
const READ_ERRORS = errorResponses(400, 401, 404, 429, 503);

export const publishRoute: FastifySchema = {
  operationId: 'publish',
  tags: ['publish'],
  summary: 'Publish to one channel',
  description:
    'Answers as soon as the engine holds the publication, before it reaches subscribers. Retries carrying the same `Idempotency-Key` publish once.',
  headers: IdempotencyHeaders,
  body: PublishBody,
  response: { 200: published('Published: the position the publication got.'), ...PUBLISH_ERRORS },
};

export const broadcastRoute: FastifySchema = {
  operationId: 'broadcast',
  tags: ['publish'],
  summary: 'Publish one message to several channels',
  description: '1-1000 distinct channels. One bad channel does not stop the others: its entry carries the error instead of a position.',
  headers: IdempotencyHeaders,
  body: BroadcastBody,
  response: { 200: { ...BroadcastResult, description: 'One result per channel, in order.' }, ...PUBLISH_ERRORS },
};

export const publishBatchRoute: FastifySchema = {
  operationId: 'publishBatch',
  tags: ['publish'],
  summary: 'Publish many small updates in one request',
  description: `1-${MAX_BATCH_PUBLICATIONS} publications, each to its own channel with its own event and data; the body is bounded by \`limits.max_body_bytes\`. One bad publication does not stop the others: its entry carries the error instead of a position. Publications to one channel get offsets in their order in the request. \`Idempotency-Key\` covers the whole batch; an item's \`idempotency_key\` covers that item.`,
  headers: IdempotencyHeaders,
  body: PublishBatchBody,
  response: { 200: { ...BroadcastResult, description: 'One result per publication, in order.' }, ...PUBLISH_ERRORS },
};

export const eventRoute: FastifySchema = {
  operationId: 'publishEvent',
  tags: ['compatibility'],
  summary: 'Publish, in the shape of the realtime services Herald replaces',
  description: 'Like `POST /api/publish`, with the data in `payload`.',
  headers: IdempotencyHeaders,
  body: EventBody,
  response: { 200: published('Published.'), ...PUBLISH_ERRORS },
};

/** Seed 000's `POST /update` and `POST /publish`: the body is the data itself. */
export function seedRoute(path: string): FastifySchema {
  return {
    operationId: path === '/update' ? 'seedUpdate' : 'seedPublish',
    tags: ['compatibility'],
    summary: "Publish in seed 000's shape",
    description: 'The body is the data itself (any JSON); the channel is in the query. Usually sent with an `X-API-Token` time token.',
    querystring: SeedQuery,
    body: Type.Unknown({ description: 'The data to publish: any JSON value, delivered as the exact text sent minus insignificant whitespace.', examples: [{ status: 'paid' }] }),
    response: { 200: published('Published.'), 202: Type.Null({ description: 'Published, with `compat.seed000` on: an empty body, as seed 000 answered.' }), ...PUBLISH_ERRORS },
  };
}

export const channelsRoute: FastifySchema = {
  operationId: 'listChannels',
  tags: ['channels'],
  summary: 'Channels with subscribers on this node',
  description: 'Only the node (worker process) that answers; for one channel across every node, use `GET /api/channels/{channel}`.',
  response: { 200: { ...ChannelList, description: 'Local channels and their subscriber counts.' }, ...errorResponses(401, 429) },
};

export const channelRoute: FastifySchema = {
  operationId: 'getChannel',
  tags: ['channels'],
  summary: 'One channel across every node',
  description: 'Counts from every node sharing the engine (and every worker). Each node rewrites its count at most once a second while it changes.',
  params: ChannelParams,
  response: { 200: { ...ChannelInfo, description: 'The channel and its subscribers.' }, ...READ_ERRORS },
};

export const presenceRoute: FastifySchema = {
  operationId: 'getPresence',
  tags: ['channels'],
  summary: 'Members of a presence channel',
  description: 'Only in a namespace with `presence: true` (else 400 `bad_request`); members on every node.',
  params: ChannelParams,
  response: { 200: { ...PresenceResult, description: 'One entry per user.' }, ...READ_ERRORS },
};

export const historyRoute: FastifySchema = {
  operationId: 'getHistory',
  tags: ['channels'],
  summary: "A channel's recent publications",
  description: 'To page forward, call again with `since` = the last returned offset (and the same `epoch`).',
  params: ChannelParams,
  querystring: HistoryQuery,
  response: { 200: { ...HistoryResult, description: "Publications and the stream's current position." }, ...READ_ERRORS },
};

export const webhooksRoute: FastifySchema = {
  operationId: 'listWebhooks',
  tags: ['operations'],
  summary: "This node's webhook receivers and their delivery counters",
  response: { 200: { ...WebhookList, description: 'One entry per receiver.' }, ...errorResponses(401, 429) },
};

export const livenessRoute: FastifySchema = {
  operationId: 'healthz',
  tags: ['operations'],
  summary: 'Liveness: the process answers',
  security: OPEN,
  response: { 200: { ...Liveness, description: 'Always, while the process runs.' } },
};

export const readinessRoute: FastifySchema = {
  operationId: 'readyz',
  tags: ['operations'],
  summary: 'Readiness: send this node traffic',
  description: 'Turns 200 again by itself when the engine is back.',
  security: OPEN,
  response: { 200: { ...Ready, description: 'Ready.' }, 503: NotReady },
};

export const openApiRoute: FastifySchema = {
  operationId: 'openapi',
  tags: ['operations'],
  summary: 'This document',
  security: OPEN,
  response: { 200: Type.Object({}, { description: 'The OpenAPI 3.1 document of this node.', additionalProperties: true }) },
};

const textBody = (mediaType: string, description: string, example: string) => ({
  description,
  content: { [mediaType]: { schema: Type.String({ examples: [example] }) } },
});

const CLIENT_CHANNELS = {
  channel: Type.Array(Type.String(), { minItems: 1, description: 'The channels to subscribe to: `?channel=a&channel=b`.' }),
  token: Type.Optional(Type.String({ description: "The client's JWT, for browsers that cannot set headers (also `access_token`)." })),
};

const CLIENT_AUTH: FastifySchema['security'] = [{}, { clientJwt: [] }, { clientJwtQuery: [] }];

/**
 * Routes whose handlers read their own input (repeated query parameters, a raw stream), so their
 * schemas are for the document only: api/openapi attaches them by method and URL, and Fastify
 * never validates with them.
 */
export const DOCUMENTED_ONLY: Record<string, FastifySchema> = {
  'GET /metrics': {
    operationId: 'metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics of this node (every worker)',
    description: 'Open unless `metrics.token` is set; absent with `metrics.enabled: false`. The metrics are listed in docs/api.md#get-metrics.',
    security: [{}, { metricsToken: [] }],
    response: {
      200: textBody('text/plain', 'Prometheus text exposition format 0.0.4.', 'herald_connections{transport="websocket"} 3\n'),
      ...errorResponses(401),
    },
  },
  'GET /sse': {
    operationId: 'subscribeSse',
    tags: ['clients'],
    summary: 'Subscribe over Server-Sent Events (clients, not backends)',
    description:
      'A `text/event-stream` that stays open: `subscribed`, message (named after the publication\'s event, else `message`), `presence`/`join`/`leave` and a final `error` event, each `data:` one line of JSON; `id:` lines resume every channel at once. OpenAPI cannot describe the events one by one: see docs/sse-longpoll.md. Refusals come before the stream, as JSON errors.',
    security: CLIENT_AUTH,
    querystring: Type.Object({
      ...CLIENT_CHANNELS,
      presence: Type.Optional(Type.Array(Type.String(), { description: 'Channels among `channel` whose presence events the stream should carry.' })),
      delta: Type.Optional(Type.Array(Type.String(), { description: 'Channels among `channel` to receive with delta compression (docs/protocol.md#delta-compression).' })),
      last_event_id: Type.Optional(Type.String({ description: 'Start from this stream position; the `Last-Event-ID` header wins over it.' })),
    }),
    headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ description: 'Sent by EventSource when it reconnects.' })) }),
    response: {
      200: textBody(
        'text/event-stream',
        'The event stream.',
        'retry: 2000\n\nevent: subscribed\ndata: {"type":"subscribed","channel":"orders:42","offset":0,"epoch":"Zk3q"}\nid: Zk3q:0\n\n',
      ),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  },
  'GET /poll': {
    operationId: 'poll',
    tags: ['clients'],
    summary: 'Long-poll for messages (clients, not backends)',
    description: 'Held until something arrives or `longpoll.timeout_seconds` pass. Stateless: the `cursor` carries every channel\'s position. See docs/sse-longpoll.md.',
    security: CLIENT_AUTH,
    querystring: Type.Object({ ...CLIENT_CHANNELS, cursor: Type.Optional(Type.String({ description: 'From the previous answer (or an SSE event id).' })) }),
    response: { 200: { ...PollResult, description: 'The messages since the cursor, possibly none.' }, ...errorResponses(400, 401, 403, 404, 429, 503) },
  },
};
