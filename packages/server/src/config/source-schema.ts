/**
 * @module config/source-schema
 * One entry of `sources:`: the keys every source shares (type, the record → publish mapping, batch
 * size, readiness) and one sub-object per source type, named after the type, holding its own settings.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './string-enum.js';

/** Every source type; each is one file in sources/, registered in sources/create.ts. */
export const SOURCE_TYPES = ['postgres', 'redis_stream', 'rabbitmq', 'mqtt', 'jetstream'] as const;

const Identifier = (description: string, fallback: string) =>
  Type.String({ pattern: '^[a-z_][a-z0-9_]{0,47}(\\.[a-z_][a-z0-9_]{0,47})?$', default: fallback, description });

export const PostgresSourceSchema = Type.Object(
  {
    url: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/postgres', description: 'PostgreSQL connection URL (libpq style, as `pg` takes it).' }),
    table: Identifier('The outbox table, optionally schema-qualified (`app.herald_outbox`). `herald sources migrate` creates it with `<table>_partitions`, `<table>_dead` and the function `herald_publish` in the same schema; one outbox per schema.', 'herald_outbox'),
    partitions: Type.Integer({
      minimum: 1,
      maximum: 1024,
      default: 16,
      description: 'Channels are hashed into this many partitions; a partition is consumed by one node at a time (per-channel order), different partitions by several nodes at once. Used by `herald sources migrate` only: changing it later needs a new table.',
    }),
    poll_interval_ms: Type.Integer({ minimum: 10, default: 1000, description: 'Look for rows this often even without a NOTIFY (a missed notification, a row inserted without the trigger).' }),
  },
  { additionalProperties: false, default: {} },
);

export const RedisStreamSourceSchema = Type.Object(
  {
    url: Type.String({ default: 'redis://127.0.0.1:6379', description: 'redis://[user:password@]host:port[/db] or rediss:// of the server holding the streams.' }),
    streams: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Stream keys to consume. Each is read by one node at a time (per-channel order); spread the load over several streams by writing each channel to a stream of its own choice (e.g. a hash of the channel).',
    }),
    group: Type.String({ minLength: 1, default: 'herald', description: 'Consumer group, created at the stream\'s end (`$`) if missing (MKSTREAM).' }),
    lease_seconds: Type.Number({
      minimum: 0.1,
      default: 10,
      description: 'A node reading a stream holds a lease on it, renewed every third of this; a node that dies frees it after this long, and the next one claims its pending entries (XAUTOCLAIM).',
    }),
    block_ms: Type.Integer({ minimum: 1, default: 1000, description: 'How long one XREADGROUP waits for new entries.' }),
    dead_letter_suffix: Type.String({ minLength: 1, default: ':dead', description: 'Poison entries are XADDed to `<stream><suffix>` with their fields, `source_id` and `reason`, then acked.' }),
  },
  { additionalProperties: false, default: {} },
);

export const RabbitMqSourceSchema = Type.Object(
  {
    url: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672', description: 'amqp:// or amqps:// URL of the broker (vhost as the path); `?heartbeat=` defaults to 10 seconds.' }),
    queues: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Queues to consume. Each is consumed by one node at a time (an exclusive consumer: per-channel order); the queues spread over the live nodes, a fair share each. Publish each channel to one queue of its own (e.g. a hash of the channel).',
    }),
    declare: Type.Boolean({ default: true, description: 'Declare each queue (durable, its dead letters routed to `<queue><dead_letter_suffix>`) and its dead-letter queue. Off: the queues must exist; only the dead-letter queues are declared.' }),
    prefetch: Type.Integer({ minimum: 1, maximum: 65_535, default: 500, description: 'Unacked messages the broker hands one queue\'s consumer ahead of its acks.' }),
    dead_letter_suffix: Type.String({ minLength: 1, default: '.dead', description: 'Poison messages are published (confirmed) to the queue `<queue><suffix>` with the headers `x-herald-reason` and `x-herald-source-id`, then acked.' }),
    rebalance_ms: Type.Integer({ minimum: 50, default: 1000, description: 'How often a node counts the live nodes, takes free queues up to its fair share, gives back those above it, and measures the lag.' }),
  },
  { additionalProperties: false, default: {} },
);

export const MqttSourceSchema = Type.Object(
  {
    url: Type.String({ default: 'mqtt://127.0.0.1:1883', description: 'mqtt://, mqtts://, ws:// or wss:// URL of the broker (MQTT 5); `user:password@` in it if the broker asks.' }),
    topics: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Topic filters (`+` and `#` wildcards) subscribed at QoS 1, each in a persistent session of its own (client id `<client_id>-<source>-<index>`) held by one node at a time (per-channel order); they spread over the live nodes, a fair share each. A channel\'s messages must all match one filter.',
    }),
    client_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$', default: 'herald', description: 'Prefix of the sessions\' client ids. Keep it stable: a session outlives its node and holds what it was not yet acked.' }),
    session_expiry_seconds: Type.Integer({ minimum: 60, default: 86_400, description: 'How long the broker keeps a topic\'s session, and queues its messages, while no node holds it.' }),
    lease_topic: Type.String({ minLength: 1, default: 'herald/leases', description: 'Retained messages under `<lease_topic>/<source>/` say which node holds which topic filter and which nodes are alive.' }),
    lease_seconds: Type.Number({ minimum: 1, default: 10, description: 'A node renews its holds every third of this; a node that dies frees its topic filters after this long (node clocks must agree to well within it).' }),
    dead_letter_prefix: Type.String({ minLength: 1, default: 'herald/dead', description: 'Poison messages are published (QoS 1) to `<prefix>/<original topic>` with the user properties `herald-reason` and `herald-source-id`, then acked.' }),
  },
  { additionalProperties: false, default: {} },
);

export const JetStreamSourceSchema = Type.Object(
  {
    servers: Type.Array(Type.String({ minLength: 1 }), { default: ['nats://127.0.0.1:4222'], description: 'NATS server URLs.' }),
    stream: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'herald_source', description: 'The JetStream stream to consume; created (file storage, the `subjects` below) if missing.' }),
    subjects: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Filter subjects, one durable consumer each (`<durable>_<index>`). Each is consumed by one node at a time (per-channel order); they spread over the live nodes, a fair share each. Publish each channel to one subject of its own (e.g. a hash of the channel).',
    }),
    durable: Type.String({ pattern: '^[A-Za-z0-9_-]{1,48}$', default: 'herald', description: 'Prefix of the durable consumers\' names; also names the lease bucket `<durable>_leases_<stream>`.' }),
    lease_seconds: Type.Number({ minimum: 0.5, default: 10, description: 'A node consuming a subject holds a lease on it (a KV entry renewed every third of this); a node that dies frees it after this long.' }),
    fetch_wait_ms: Type.Integer({ minimum: 1000, default: 2000, description: 'How long one pull request waits on the server for a new message before the next one (JetStream allows 1000 or more); a lost lease or a stop waits for it too.' }),
    dead_letter_subject: Type.String({ default: '', description: 'Poison messages are published here with the headers `Herald-Reason`, `Herald-Source-Id` and `Herald-Subject`, then acked. Empty means `herald.dead.<stream>`, kept in the stream `<stream>_dead` (created if missing).' }),
  },
  { additionalProperties: false, default: {} },
);

export const SourceSchema = Type.Object(
  {
    type: StringEnum(SOURCE_TYPES, { description: 'postgres (an outbox table), redis_stream (a consumer group on Redis Streams), rabbitmq (AMQP 0-9-1 queues), mqtt (topic subscriptions) or jetstream (NATS JetStream durable consumers).' }),
    channel: Type.String({ minLength: 1, default: '{channel}', description: 'Template of the channel: `{field}` is replaced by the record\'s field (docs/sources.md lists each source\'s fields), e.g. `orders:{order_id}`. A record lacking a named field is dead-lettered.' }),
    event: Type.String({ default: '{event}', description: 'Template of the event name; empty, or a named field missing, means no event.' }),
    data: Type.String({ minLength: 1, default: 'data', description: 'The field holding the publication\'s JSON data (at most limits.max_body_bytes bytes, limits.max_json_depth deep).' }),
    idempotency_key: Type.String({
      default: '{idempotency_key}',
      description: 'Template of the idempotency key; empty, or a named field missing, means `<source>.<record id>` (row id, stream entry id). A record published twice with one key within 10 minutes is published once.',
    }),
    batch_size: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'Records taken at once; channels in a batch are published side by side, each channel in order.' }),
    required: Type.Boolean({ default: false, description: 'Whether `/readyz` turns 503 while this source is down (it is always listed there).' }),
    postgres: PostgresSourceSchema,
    redis_stream: RedisStreamSourceSchema,
    rabbitmq: RabbitMqSourceSchema,
    mqtt: MqttSourceSchema,
    jetstream: JetStreamSourceSchema,
  },
  { additionalProperties: false },
);
export type SourceConfig = Static<typeof SourceSchema>;
