/**
 * @module config/schema
 * The one schema for Herald's configuration: types, defaults and descriptions in one place.
 * Every key has a description because config/herald.example.yaml and docs/configuration.md
 * are written from it.
 */
import { Type, type SchemaOptions, type Static } from '@sinclair/typebox';

/** A string from a fixed list, as a JSON Schema `enum` so errors can list the allowed values. */
function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

const Transport = StringEnum(['websocket', 'sse', 'longpoll']);

export const NamespaceSchema = Type.Object(
  {
    history_size: Type.Integer({
      minimum: 0,
      maximum: 100_000,
      default: 100,
      description: 'Publications kept per channel for recovery and the history API (0 = none).',
    }),
    history_ttl_seconds: Type.Integer({
      minimum: 1,
      default: 300,
      description: 'How long a publication stays in history.',
    }),
    max_subscribers: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Subscribers allowed per channel on this node (0 = unlimited).',
    }),
    allow_client_publish: Type.Boolean({
      default: false,
      description: 'Whether WebSocket clients may publish to channels of this namespace.',
    }),
    transports: Type.Array(Transport, {
      default: ['websocket', 'sse', 'longpoll'],
      uniqueItems: true,
      description: 'Transports subscribers may use for this namespace.',
    }),
    allow_create_new_channels: Type.Boolean({
      default: true,
      description: 'If false, only the channels listed in `channels` exist in this namespace.',
    }),
    channels: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Declared channel names (without the namespace prefix).',
    }),
  },
  { additionalProperties: false },
);
export type NamespaceConfig = Static<typeof NamespaceSchema>;

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', description: 'Address to listen on.' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port (0 = any free port).' }),
        node_name: Type.String({ default: '', description: 'Name of this node in `connected` frames; empty = generated.' }),
        shutdown_timeout_seconds: Type.Number({
          minimum: 0,
          default: 10,
          description: 'On SIGTERM/SIGINT, how long clients get to close before they are cut.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'Log level (pino).' }),
      },
      { additionalProperties: false, default: {} },
    ),
    engine: Type.Object(
      {
        type: StringEnum(['memory'], { default: 'memory', description: 'Broker engine. One node: memory.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        api_keys: Type.Array(Type.String({ minLength: 16 }), {
          default: [],
          description:
            'Publisher API keys (`Authorization: Bearer <key>`), at least 16 characters. Several may be valid at once for rotation. Empty: a dev key is generated and printed once at start.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        max_body_bytes: Type.Integer({ minimum: 64, default: 65536, description: 'Largest HTTP request body.' }),
        max_frame_bytes: Type.Integer({ minimum: 64, default: 65536, description: 'Largest inbound WebSocket frame.' }),
        max_connections: Type.Integer({ minimum: 1, default: 10000, description: 'Streaming connections (WebSocket and SSE together) per node; long-poll requests are not counted.' }),
        max_subscriptions_per_connection: Type.Integer({ minimum: 1, default: 128, description: 'Channels one connection may subscribe to.' }),
        client_messages_per_second: Type.Integer({
          minimum: 1,
          default: 50,
          description: 'Inbound frames per second per connection (bursts up to the same number); above it the connection is closed with 4029.',
        }),
        send_buffer_bytes: Type.Integer({
          minimum: 1024,
          default: 1048576,
          description: 'Bytes queued for one connection before it is a slow consumer and is closed with 4008.',
        }),
        max_channel_length: Type.Integer({ minimum: 8, maximum: 1024, default: 255, description: 'Longest channel name.' }),
        history_limit: Type.Integer({ minimum: 1, default: 1000, description: 'Most publications one history API request returns (recovery over WebSocket is bounded by the namespace history_size).' }),
      },
      { additionalProperties: false, default: {} },
    ),
    heartbeat: Type.Object(
      {
        interval_seconds: Type.Number({
          minimum: 0.05,
          default: 25,
          description: 'Server ping interval; a peer that answers nothing for two intervals is dropped.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    sse: Type.Object(
      {
        heartbeat_seconds: Type.Number({
          minimum: 0.05,
          default: 15,
          description: 'How often every SSE stream gets a comment line, so proxies and load balancers never see it idle.',
        }),
        retry_ms: Type.Integer({
          minimum: 0,
          default: 2000,
          description:
            'The `retry:` hint at the start of each SSE stream: how long EventSource waits before reconnecting after a drop. When the node shuts down, each stream is told a random wait between this and twice this, so clients do not all return at once.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    longpoll: Type.Object(
      {
        timeout_seconds: Type.Number({
          minimum: 0.05,
          maximum: 300,
          default: 25,
          description: 'How long `GET /poll` waits for a message before answering with an empty batch. Keep it below the read timeout of any proxy in front.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    namespaces: Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }), NamespaceSchema, {
      default: { default: {} },
      description:
        'Channel namespaces by name. A channel `ns:name` uses namespace `ns`; a channel without a colon uses `default`. Channels in an undeclared namespace are refused.',
    }),
  },
  { additionalProperties: false },
);
export type HeraldConfig = Static<typeof ConfigSchema>;
