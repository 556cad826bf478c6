/**
 * @module api/responses
 * Answer schemas of the HTTP API, for the OpenAPI document (api/openapi). They describe what the
 * handlers return (the @herald/protocol types); answers are not serialized through them, and
 * openapi.test.ts checks real answers against them.
 */
import { ErrorCode } from '@herald/protocol';
import { Type, type TSchema } from '@sinclair/typebox';

const EXAMPLE_EPOCH = 'Zk3q';

/** Shared schemas are added to the app by `$id` and rendered once, under components/schemas. */
export const ErrorBody = Type.Object(
  {
    code: Type.Union(
      Object.values(ErrorCode).map((code) => Type.Literal(code)),
      { description: 'Stable error code; the HTTP status follows from it (docs/protocol.md#error-codes).' },
    ),
    message: Type.String({ description: 'For people: may change between versions.' }),
    reason: Type.Optional(
      Type.String({
        description:
          'Finer cause of `unauthorized`: missing_credentials, malformed_credentials, invalid_credentials, expired_credentials, replayed_request (docs/security.md#failures).',
      }),
    ),
  },
  { $id: 'ErrorBody', additionalProperties: false },
);

export const ErrorResponse = Type.Object(
  { error: Type.Ref(ErrorBody) },
  {
    $id: 'ErrorResponse',
    additionalProperties: false,
    description: 'Every error of the HTTP API, with the status of its code.',
  },
);

export const PublishResult = Type.Object(
  {
    channel: Type.String({ description: 'The channel as resolved (its canonical name).' }),
    offset: Type.Integer({ minimum: 1, description: "The publication's position in the channel's stream." }),
    epoch: Type.String({ description: 'Identifies the stream: offsets compare only within one epoch.' }),
  },
  { $id: 'PublishResult', additionalProperties: false, examples: [{ channel: 'orders:42', offset: 1, epoch: EXAMPLE_EPOCH }] },
);

export const BroadcastResult = Type.Object(
  {
    results: Type.Array(
      Type.Union([
        Type.Ref(PublishResult),
        Type.Object({ channel: Type.String(), error: Type.Ref(ErrorBody) }, { additionalProperties: false, description: 'This channel failed; the others went on.' }),
      ]),
      { description: 'One entry per requested channel, in order.' },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        results: [
          { channel: 'orders:42', offset: 2, epoch: EXAMPLE_EPOCH },
          { channel: 'bad name', error: { code: 'invalid_channel', message: 'channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;' } },
        ],
      },
    ],
  },
);

export const ChannelList = Type.Object(
  { channels: Type.Array(Type.Object({ channel: Type.String(), subscribers: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })) },
  { additionalProperties: false, examples: [{ channels: [{ channel: 'orders:42', subscribers: 3 }] }] },
);

export const ChannelInfo = Type.Object(
  {
    channel: Type.String(),
    occupied: Type.Boolean({ description: 'Some node has a subscriber.' }),
    subscribers: Type.Integer({ minimum: 0, description: "Subscribers on every node, each node's count at most about a second old." }),
    nodes: Type.Integer({ minimum: 0, description: 'Nodes (and workers) with subscribers.' }),
  },
  { additionalProperties: false, examples: [{ channel: 'orders:42', occupied: true, subscribers: 5, nodes: 2 }] },
);

export const RecoveryFailure = Type.Union([Type.Literal('epoch_changed'), Type.Literal('history_truncated'), Type.Literal('offset_ahead'), Type.Literal('undeliverable')], {
  description: 'Why the publications after `since` could not all be returned (`undeliverable`: one could not be encoded and was left out).',
});

export const HistoryResult = Type.Object(
  {
    channel: Type.String(),
    offset: Type.Integer({ minimum: 0, description: "The stream's current position (its last offset)." }),
    epoch: Type.String(),
    publications: Type.Array(
      Type.Object({ offset: Type.Integer({ minimum: 1 }), event: Type.Optional(Type.String()), key: Type.Optional(Type.String({ description: 'The conflation key, when the publisher gave one.' })), data: Type.Unknown() }, { additionalProperties: false }),
      { description: 'Oldest first.' },
    ),
    recovered: Type.Optional(Type.Boolean({ description: 'With `since`: whether every publication after it is here. Also false, with or without `since`, when a publication that could not be encoded was left out.' })),
    reason: Type.Optional(RecoveryFailure),
  },
  {
    additionalProperties: false,
    examples: [{ channel: 'orders:42', offset: 2, epoch: EXAMPLE_EPOCH, publications: [{ offset: 2, event: 'updated', data: { status: 'shipped' } }], recovered: true }],
  },
);

export const PresenceResult = Type.Object(
  {
    channel: Type.String(),
    members: Type.Array(
      Type.Object(
        {
          user: Type.String(),
          clients: Type.Array(Type.String(), { description: "The user's connections in the channel." }),
          info: Type.Optional(Type.Object({}, { additionalProperties: true, description: "The user's current info: the most recently set among its connections (token `info` claim, connect or subscribe hook, `presence_update`)." })),
        },
        { additionalProperties: false },
      ),
      { description: 'One entry per user.' },
    ),
  },
  { additionalProperties: false, examples: [{ channel: 'chat:room1', members: [{ user: 'u1', clients: ['c_3kq1'], info: { name: 'Alice', status: 'typing' } }] }] },
);

export const WebhookList = Type.Object(
  {
    webhooks: Type.Array(
      Type.Object(
        {
          url: Type.String({ description: 'Origin and path only: the query string may hold a credential.' }),
          delivered: Type.Integer({ minimum: 0 }),
          failed: Type.Integer({ minimum: 0 }),
          dropped: Type.Integer({ minimum: 0 }),
          queued: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, examples: [{ webhooks: [{ url: 'https://backend.example/hook', delivered: 120, failed: 0, dropped: 0, queued: 0 }] }] },
);

export const Liveness = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

const SourceStates = Type.Optional(
  Type.Record(
    Type.String(),
    Type.Object(
      {
        up: Type.Boolean({ description: 'Connected and consuming.' }),
        reason: Type.Optional(Type.String({ description: 'Why not, when down.' })),
        lag: Type.Integer({ minimum: -1, description: 'Records waiting in the source, as last measured (-1 = not yet).' }),
      },
      { additionalProperties: false },
    ),
    { description: 'Each publish source (docs/sources.md) by name; present only when sources are configured.' },
  ),
);

export const Ready = Type.Object(
  { status: Type.Literal('ready'), engine: Type.String(), connections: Type.Integer({ minimum: 0, description: 'WebSocket and SSE connections.' }), sources: SourceStates },
  { additionalProperties: false, examples: [{ status: 'ready', engine: 'memory', connections: 0 }] },
);

export const NotReady = Type.Union(
  [
    Type.Object({ status: Type.Literal('shutting_down') }, { additionalProperties: false }),
    Type.Object({ status: Type.Literal('unavailable'), engine: Type.String(), reason: Type.String(), sources: SourceStates }, { additionalProperties: false }),
  ],
  { description: 'Stop sending this node traffic: it shuts down, its engine cannot be reached, or a required publish source is down.' },
);

export const PollResult = Type.Object(
  {
    messages: Type.Array(
      Type.Object(
        {
          type: Type.Literal('message'),
          channel: Type.String(),
          offset: Type.Integer({ minimum: 1 }),
          epoch: Type.String(),
          event: Type.Optional(Type.String()),
          data: Type.Unknown(),
          info: Type.Optional(Type.Object({ user: Type.String(), client: Type.Optional(Type.String()) }, { description: 'Who sent it, for publications made by a client.' })),
        },
        { additionalProperties: false },
      ),
    ),
    cursor: Type.String({ description: 'Pass it as `cursor` on the next request.' }),
    reset: Type.Optional(
      Type.Array(Type.Object({ channel: Type.String(), reason: RecoveryFailure }, { additionalProperties: false }), {
        description: "Channels whose cursor position history could no longer serve: refetch their state; they continue from their current position.",
      }),
    ),
  },
  { additionalProperties: false },
);

const error = (code: string, message: string, reason?: string) => ({ error: reason === undefined ? { code, message } : { code, message, reason } });

/** What each error status means, with a typical answer. */
const ERROR_STATUS = {
  400: [
    'Bad request: invalid JSON or UTF-8 (`bad_json`), a field or parameter the schema refuses or JSON nested deeper than `limits.max_json_depth` (`bad_request`), an invalid channel name (`invalid_channel`).',
    error('invalid_channel', 'channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;'),
  ],
  401: [
    'Credentials missing or refused (`unauthorized`, with a `reason`); sent with `WWW-Authenticate: Bearer`.',
    error('unauthorized', 'invalid credentials', 'invalid_credentials'),
  ],
  403: ['Refused (`forbidden`), e.g. publishing to the internal `_herald` namespace, or a client origin not allowed.', error('forbidden', 'internal channels are published to by Herald only')],
  404: ['The namespace is not configured, or the channel is not declared in it (`unknown_channel`).', error('unknown_channel', 'namespace "orders" is not configured')],
  413: ['The body is larger than `limits.max_body_bytes` (`payload_too_large`).', error('payload_too_large', 'Request body is too large')],
  415: ['The body is not `Content-Type: application/json` (`unsupported_media_type`).', error('unsupported_media_type', 'send the request body as Content-Type: application/json')],
  429: [
    'Too many failed authentications from this address (`rate_limited`): retry after the minute ends. For clients (`/sse`, `/poll`) also `too_many_subscriptions` and `channel_full`.',
    error('rate_limited', 'too many failed authentications from this address; retry after a minute'),
  ],
  503: [
    'The node is shutting down (`shutting_down`) or its engine is unreachable (`unavailable`): retry, on another node if you can.',
    error('shutting_down', 'node is shutting down; retry on another node'),
  ],
} as const;

/** The error answers a route documents: each one an `ErrorResponse` with what that status means. */
export function errorResponses(...statuses: Array<keyof typeof ERROR_STATUS>): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((status) => {
      const [description, example] = ERROR_STATUS[status];
      return [status, { description, content: { 'application/json': { schema: Type.Ref(ErrorResponse), example } } }];
    }),
  );
}

/** Every shared schema, for `app.addSchema`. */
export const SHARED_SCHEMAS: TSchema[] = [ErrorBody, ErrorResponse, PublishResult];
