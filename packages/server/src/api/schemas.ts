/**
 * @module api/schemas
 * Request schemas of the publish API (validated by Fastify's Ajv before a handler runs; their
 * descriptions and examples also go into the OpenAPI document).
 */
import { Type } from '@sinclair/typebox';
import { MAX_EVENT_LENGTH } from '../connection/parse.js';

const Channel = Type.String({ minLength: 1, description: '`namespace:name`, e.g. `orders:42`.' });
const Event = Type.String({ minLength: 1, maxLength: MAX_EVENT_LENGTH, description: 'Optional event name that subscribers can filter on.' });
const Key = Type.String({
  minLength: 1,
  maxLength: MAX_EVENT_LENGTH,
  description: 'Conflation key (e.g. `price:AAPL`): in a namespace with `conflation` on, a subscriber that fell behind gets only the latest publication per key.',
});
const Data = Type.Unknown({ description: 'Any JSON value: delivered to subscribers as the exact text sent (every number and escape as written), minus insignificant whitespace.' });

export const PublishBody = Type.Object(
  { channel: Channel, event: Type.Optional(Event), key: Type.Optional(Key), data: Data },
  { additionalProperties: false, examples: [{ channel: 'orders:42', event: 'updated', data: { status: 'paid' } }] },
);

export const BroadcastBody = Type.Object(
  {
    channels: Type.Array(Channel, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    event: Type.Optional(Event),
    key: Type.Optional(Key),
    data: Data,
  },
  { additionalProperties: false, examples: [{ channels: ['orders:42', 'orders:43'], event: 'updated', data: { status: 'paid' } }] },
);

/** Seed 002's `POST /api/event` shape, so its backends publish unchanged. */
export const EventBody = Type.Object(
  { channel: Channel, event: Type.Optional(Event), payload: Data },
  { additionalProperties: false, examples: [{ channel: 'orders:42', event: 'updated', payload: { status: 'paid' } }] },
);

export const HistoryQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'With `epoch`: only publications after this offset, oldest first.' })),
    epoch: Type.Optional(Type.String({ description: 'The epoch `since` belongs to (from a message or an earlier answer).' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many (default and maximum `limits.history_limit`); without `since`, the latest ones.' })),
  },
  { additionalProperties: false },
);

export const ChannelParams = Type.Object({ channel: Type.String({ description: 'The channel, URL-encoded (`notifications%23u42`).' }) });

export const SeedQuery = Type.Object(
  { channel: Type.Optional(Type.String({ minLength: 1, description: 'The channel; `server.default_channel` (`updates` by default) when absent.' })) },
  { additionalProperties: false },
);

/** No pattern here: api/idempotency checks the key and says what is wrong with it. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Send the same key (1-128 of A-Z a-z 0-9 _ . : -) on every retry: within 10 minutes a repeated key gets the first attempt\'s answer instead of publishing again.',
    }),
  ),
});
