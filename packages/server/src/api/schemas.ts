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

/** The most publications one `POST /api/publish/batch` may carry (its bytes are bounded by `limits.max_body_bytes`). */
export const MAX_BATCH_PUBLICATIONS = 1000;

export const PublishBatchBody = Type.Object(
  {
    publications: Type.Array(
      Type.Object(
        {
          channel: Channel,
          event: Type.Optional(Event),
          key: Type.Optional(Key),
          data: Data,
          idempotency_key: Type.Optional(
            Type.String({
              description:
                "This publication's own idempotency key (1-128 of A-Z a-z 0-9 _ . : -), in the same key space as `Idempotency-Key` on `POST /api/publish`: a retried item, alone or in another batch, publishes once.",
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BATCH_PUBLICATIONS, description: `1-${MAX_BATCH_PUBLICATIONS} publications; those to one channel get offsets in their order here.` },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        publications: [
          { channel: 'notifications#u1', event: 'new', data: { id: 7 } },
          { channel: 'notifications#u2', event: 'new', data: { id: 8 }, idempotency_key: 'n-8' },
        ],
      },
    ],
  },
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
