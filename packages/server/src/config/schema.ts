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
    client_publish_per_second: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Client publishes per second one connection may make to this namespace (bursts up to the same number); above it the publish is refused with `rate_limited` (0 = only the connection-wide frame limit).',
    }),
    write_delay_ms: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 2,
      description:
        'How long a publication of this namespace may be held back so that publications arriving back to back share one write per subscriber socket (far fewer syscalls for a publisher that awaits each publish): one that arrives within this many ms after the node last finished writing to subscribers is written this many ms after that (1 ms timer resolution); one after a quiet spell is written at once. Replies are never held, and publish acknowledgements never wait for any of it. 0 = write at the next event-loop turn.',
    }),
    conflation: Type.Boolean({
      default: false,
      description:
        'Conflation by key: a subscriber that falls behind (half of `limits.send_buffer_bytes` queued) is not closed with 4008; until its socket drains it is kept only the latest publication per `key` (publications without a key are all kept, up to 10 000 held per subscription), and a recovering subscriber is replayed only the latest per key. Messages after a gap carry `skipped` (docs/protocol.md#conflation).',
    }),
    echo: Type.Boolean({
      default: true,
      description: 'Whether a client\'s own publications are delivered back to it live (it still finds them in history when it recovers).',
    }),
    presence: Type.Boolean({
      default: false,
      description: 'Track who is subscribed (presence): members, `join`/`leave` frames for subscribers that ask, `GET /api/channels/{channel}/presence`.',
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
    allow_anonymous: Type.Boolean({
      default: false,
      description: 'With client auth on, whether clients without a token may subscribe here (seed 000\'s /ws/public). Without client auth everyone is anonymous and allowed.',
    }),
    private: Type.Boolean({
      default: false,
      description: 'Subscribing needs a subscription token: a short-lived JWT from your backend whose `channel` claim names the channel.',
    }),
  },
  { additionalProperties: false },
);
export type NamespaceConfig = Static<typeof NamespaceSchema>;

export const WebhookSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Where events are POSTed (http or https).' }),
    secret: Type.String({ minLength: 16, description: 'HMAC-SHA256 key for the `X-Herald-Webhook-Signature` header (docs/webhooks.md); at least 16 characters.' }),
    events: Type.Array(StringEnum(['channel.occupied', 'channel.vacated', 'presence.join', 'presence.leave', 'client.publish']), {
      minItems: 1,
      uniqueItems: true,
      description: 'Events to send: channel.occupied, channel.vacated, presence.join, presence.leave, client.publish.',
    }),
    timeout_ms: Type.Integer({ minimum: 1, default: 5000, description: 'How long one POST may take before it counts as failed.' }),
    max_attempts: Type.Integer({ minimum: 1, default: 6, description: 'Attempts per event (first try included) before it is given up and counted as failed.' }),
    retry_base_ms: Type.Integer({ minimum: 1, default: 500, description: 'Delay before the first retry; it doubles with each further attempt. Jitter adds up to half of each delay, never less (capped at retry_max_ms).' }),
    retry_max_ms: Type.Integer({ minimum: 1, default: 30000, description: 'Longest delay between two attempts.' }),
    queue_size: Type.Integer({ minimum: 1, default: 10000, description: 'Events waiting for this receiver; beyond it new events are dropped and counted.' }),
  },
  { additionalProperties: false },
);
export type WebhookConfig = Static<typeof WebhookSchema>;

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
        headers_timeout_seconds: Type.Number({
          minimum: 0.1,
          default: 10,
          description: "How long a client has to send a request's headers (WebSocket upgrades included); past it the request is answered 408 and the connection closed. Checked every second (more often below 2 s), so the cut comes up to that much later.",
        }),
        request_timeout_seconds: Type.Number({
          minimum: 0.1,
          default: 30,
          description:
            'How long a client has to send a whole request, headers and body; past it the request is answered 408 and the connection closed, so a body trickled byte by byte cannot hold a connection. Only receiving the request counts: WebSockets, SSE streams and long-polls, which last, are not cut. At least headers_timeout_seconds.',
        }),
        allowed_origins: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Browser origins allowed to open WebSocket/SSE connections (e.g. https://app.example.com); empty = any origin (tokens still apply).',
        }),
        cors_origins: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Origins allowed to call the HTTP API from a browser (CORS); "*" = any; empty = none (env CORS_ALLOWED_ORIGINS).',
        }),
        demo: Type.Boolean({
          default: true,
          description: 'Serve the demo pages (chat with presence, live notifications) under /demo/; they use a `demo` namespace, added with presence and client publishing unless you define it. Turn off in production.',
        }),
        accept_any_namespace: Type.Boolean({
          default: false,
          description:
            'Accept channels in namespaces that are not configured, with the `default` namespace\'s options (dev mode). `herald serve` without a config file turns it on so every example in the docs works; with a config file it stays off unless set, and an undeclared namespace is refused.',
        }),
        default_channel: Type.String({
          default: 'updates',
          description: 'Channel for seed-000 style `POST /update` and `POST /publish` requests that name no `?channel=`.',
        }),
        trust_proxy: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description:
            'Proxies in front of Herald (IPs, CIDRs, or "loopback"/"linklocal"/"uniquelocal"). A request from one of them is attributed to the address in its X-Forwarded-For, for the per-address auth failure limit and logs; empty = X-Forwarded-For is ignored.',
        }),
        tls: Type.Object(
          {
            cert_file: Type.String({
              default: '',
              description: 'PEM certificate chain (leaf first). With key_file set, the port serves HTTPS and WSS only; both empty = plain HTTP (e.g. behind a TLS-terminating proxy). Read at start: restart to load a renewed certificate.',
            }),
            key_file: Type.String({ default: '', description: 'PEM private key for cert_file.' }),
          },
          { additionalProperties: false, default: {} },
        ),
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
        type: StringEnum(['memory', 'redis', 'nats'], {
          default: 'memory',
          description: 'Broker engine: memory (one node, nothing to run), redis or nats (several nodes share channels, history and signed-request nonces through it). See docs/engines.md.',
        }),
        prefix: Type.String({
          pattern: '^[A-Za-z0-9_-]{1,64}$',
          default: 'herald',
          description: 'Prefix of every Redis key and pub/sub channel, NATS subject, stream and bucket: nodes of one cluster share it; another cluster on the same server uses another.',
        }),
        timeout_seconds: Type.Number({
          minimum: 0.1,
          default: 5,
          description: 'An engine request (publish, history, subscribe) unanswered this long fails with 503 unavailable.',
        }),
        heartbeat_interval_seconds: Type.Number({
          minimum: 0.05,
          default: 3,
          description: 'Each node sends itself a heartbeat through the engine this often; after 3 missing ones /readyz turns 503 and every subscription is re-made.',
        }),
        redis: Type.Object(
          {
            url: Type.String({
              default: 'redis://127.0.0.1:6379',
              description:
                'redis://[user:password@]host:port[/db], rediss:// for TLS, redis-sentinel://[:password@]host:port,host:port/master, or redis-cluster://[user:password@]host:port,host:port listing some nodes of a Redis Cluster (env REDIS_URL).',
            }),
            meta_ttl_seconds: Type.Integer({
              minimum: 1,
              default: 2592000,
              description: "How long a channel's epoch and offset outlive its last publication (at least its history TTL); after that the channel starts a new epoch.",
            }),
          },
          { additionalProperties: false, default: {} },
        ),
        nats: Type.Object(
          {
            servers: Type.Array(Type.String({ minLength: 1 }), {
              default: ['nats://127.0.0.1:4222'],
              minItems: 1,
              description: 'NATS servers to connect to (env NATS_URL, comma-separated). JetStream must be enabled.',
            }),
            storage: StringEnum(['file', 'memory'], { default: 'file', description: 'JetStream storage of the history stream: file survives a NATS restart, memory is faster.' }),
            replicas: Type.Integer({ minimum: 1, maximum: 5, default: 1, description: 'JetStream replicas of the history stream (clustered NATS).' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        api_keys: Type.Array(Type.String({ minLength: 16 }), {
          default: [],
          description: 'Publisher API keys (`Authorization: Bearer <key>`), at least 16 characters; several may be valid at once for rotation. When no publisher credential of any kind is configured, a dev secret is generated and printed once at start, valid as API key, signing key (kid "default", what SDKs use when given no key id) and time-token secret.',
        }),
        signing_keys: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Type.String({ minLength: 32 }), {
          default: {},
          description: 'Secrets for signed requests (`X-Herald-Signature`), by key id; at least 32 characters. Keep old and new ids during rotation.',
        }),
        signature_tolerance_seconds: Type.Integer({
          minimum: 1,
          maximum: 3600,
          default: 60,
          description: 'How far a signed request\'s timestamp may be from the server clock; nonces are remembered this long (x2).',
        }),
        time_token: Type.Object(
          {
            secrets: Type.Array(Type.String({ minLength: 16 }), {
              default: [],
              description: 'Secrets for seed-000 time tokens (`X-API-Token`); several during rotation (env TIME_TOKEN_SECRET).',
            }),
            window_seconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'Time-token window length (env TIME_WINDOW_SECONDS).' }),
            skew_windows: Type.Integer({ minimum: 0, maximum: 10, default: 1, description: 'Windows before/after the current one still accepted (env ALLOWED_CLOCK_SKEW).' }),
          },
          { additionalProperties: false, default: {} },
        ),
        failure_limit_per_minute: Type.Integer({
          minimum: 1,
          default: 30,
          description: 'Failed authentications one IP address may make per minute before its requests get 429 until the minute is over.',
        }),
        jwt: Type.Object(
          {
            algorithms: Type.Array(StringEnum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']), {
              default: ['HS256'],
              uniqueItems: true,
              minItems: 1,
              description: 'Accepted client-token algorithms; anything else (including "none") is refused.',
            }),
            secrets: Type.Array(Type.String({ minLength: 16 }), {
              default: [],
              description: 'Shared secrets for HS* tokens (env JWT_SECRET). Setting any secret, key or JWKS URL turns client auth on.',
            }),
            public_keys: Type.Array(Type.String({ minLength: 1 }), {
              default: [],
              description: 'PEM public keys (SPKI) for RS*/PS*/ES*/EdDSA tokens.',
            }),
            jwks_url: Type.String({ default: '', description: 'JWKS URL for asymmetric tokens; fetched lazily, cached, refetched on an unknown `kid`.' }),
            jwks_cooldown_seconds: Type.Number({ minimum: 0, default: 30, description: 'Least time between two JWKS fetches.' }),
            audience: Type.String({ default: '', description: 'Required `aud`, if set.' }),
            issuer: Type.String({ default: '', description: 'Required `iss`, if set.' }),
            require_exp: Type.Boolean({ default: true, description: 'Refuse tokens without `exp`.' }),
            leeway_seconds: Type.Integer({ minimum: 0, maximum: 300, default: 5, description: 'Clock skew allowed on `exp`/`nbf`.' }),
            user_claim: Type.String({ default: 'sub', description: 'Claim holding the user id (env JWT_USER_CLAIM).' }),
            permissions_claim: Type.String({
              default: 'herald',
              description: 'Claim with channel patterns the user may use: {"subscribe": ["orders:*"], "publish": [...], "presence": [...]}. Absent: namespace rules alone decide.',
            }),
            refresh_grace_seconds: Type.Integer({
              minimum: 1,
              default: 30,
              description: 'After a connection\'s token expires, how long it has to send a fresh one before it is closed with 4004.',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        max_body_bytes: Type.Integer({ minimum: 64, default: 65536, description: 'Largest HTTP request body.' }),
        max_frame_bytes: Type.Integer({ minimum: 64, default: 65536, description: 'Largest inbound WebSocket frame.' }),
        max_json_depth: Type.Integer({
          minimum: 2,
          maximum: 1000,
          default: 64,
          description:
            'Deepest nesting of objects and arrays in any JSON a client or publisher sends (an HTTP body or WebSocket frame as a whole: a publish\'s data sits one level inside it), checked before it is parsed; deeper is refused with 400 bad_request.',
        }),
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
    presence: Type.Object(
      {
        ttl_seconds: Type.Number({
          minimum: 0.05,
          default: 60,
          description:
            "How long a node's presence entries (and its share of channel occupancy) last without a refresh: the members of a node that died leave, and channels only it had subscribers in are vacated, at most this long after its last refresh. Expired entries are swept every min(5 s, ttl_seconds / 4), and entries live ttl_seconds less that interval, so the sweep that removes them falls within ttl_seconds.",
        }),
        refresh_seconds: Type.Number({
          minimum: 0.01,
          default: 20,
          description:
            'How often a node refreshes its presence and occupancy entries (one write per node on Redis/NATS). Must be below ttl_seconds less its sweep interval (a config error otherwise); keep it well below.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve Prometheus metrics at `GET /metrics`.' }),
        token: Type.String({
          default: '',
          description: 'If set, `/metrics` answers only requests with `Authorization: Bearer <token>` (env HERALD_METRICS__TOKEN); empty = open to anyone who can reach the port.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        token: Type.String({
          default: '',
          description: 'Turns the admin page at `/admin` on: sign in with this token (at least 16 characters; env HERALD_ADMIN__TOKEN). Empty = no admin page. Serve it over TLS.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    webhooks: Type.Array(WebhookSchema, {
      default: [],
      description: 'Receivers of signed HTTP event notifications (docs/webhooks.md), each `{url, secret, events, …}`; delivered in order per receiver, retried with backoff, never delaying message delivery.',
    }),
    namespaces: Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }), NamespaceSchema, {
      default: { default: {} },
      description:
        'Channel namespaces by name. A channel `ns:name` uses namespace `ns`; a channel without a colon uses `default`. Channels in an undeclared namespace are refused (unless `server.accept_any_namespace`).',
    }),
  },
  { additionalProperties: false },
);
export type HeraldConfig = Static<typeof ConfigSchema>;
