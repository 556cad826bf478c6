/**
 * @module api/schemas
 * Request schemas of the publish API (validated by Fastify's Ajv before a handler runs).
 */
import { Type } from '@sinclair/typebox';
import { MAX_EVENT_LENGTH } from '../connection/parse.js';

const Channel = Type.String({ minLength: 1 });
const Event = Type.String({ minLength: 1, maxLength: MAX_EVENT_LENGTH });

export const PublishBody = Type.Object(
  { channel: Channel, event: Type.Optional(Event), data: Type.Unknown() },
  { additionalProperties: false },
);

export const BroadcastBody = Type.Object(
  {
    channels: Type.Array(Channel, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    event: Type.Optional(Event),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

/** Seed 002's `POST /api/event` shape, so its backends publish unchanged. */
export const EventBody = Type.Object(
  { channel: Channel, event: Type.Optional(Event), payload: Type.Unknown() },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0 })),
    epoch: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const ChannelParams = Type.Object({ channel: Type.String() });

export const SeedQuery = Type.Object({ channel: Type.Optional(Channel) }, { additionalProperties: false });
