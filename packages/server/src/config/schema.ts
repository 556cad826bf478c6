/**
 * @module config/schema
 * The one schema for Herald's configuration: types, defaults and descriptions in one place.
 * Every key has a description because config/herald.example.yaml and docs/configuration.md
 * are written from it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CompatSchema } from './compat.js';
import { SourceSchema } from './source-schema.js';
import { StringEnum } from './string-enum.js';

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
    subscribe_hook: Type.String({
      pattern: '^(https?://.+)?$',
      default: '',
      description: 'URL of a backend that allows or refuses each client subscribe to this namespace, and may attach the member\'s info in the channel (docs/hooks.md); empty = no hook. Server-side subscriptions do not call it.',
    }),
    publish_hook: Type.String({
      pattern: '^(https?://.+)?$',
      default: '',
      description: 'URL of a backend that validates, rewrites or refuses each client publish to this namespace before it is published (docs/hooks.md); empty = no hook.',
    }),
  },
  { additionalProperties: false },
);
export type NamespaceConfig = Static<typeof NamespaceSchema>;

export const WebhookSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Where events are POSTed (http or https).' }),
    secret: Type.String({ minLength: 16, description: 'HMAC-SHA256 key for the `X-Herald-Webhook-Signature` header (docs/webhooks.md); at least 16 characters.' }),
    events: Type.Array(StringEnum(['channel.occupied', 'channel.vacated', 'presence.join', 'presence.leave', 'presence.update', 'client.publish']), {
      minItems: 1,
      uniqueItems: true,
      description: 'Events to send: channel.occupied, channel.vacated, presence.join, presence.leave, presence.update, client.publish.',
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

const PusherWebhookSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'Where the events are POSTed, in Pusher\'s format (`X-Pusher-Key`, `X-Pusher-Signature` signed with the app secret; docs/pusher.md).' }),
    events: Type.Array(StringEnum(['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss']), {
      default: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'],
      uniqueItems: true,
      description: 'Pusher webhook events to send: channel_occupied, channel_vacated, member_added, member_removed, client_event, cache_miss.',
    }),
  },
  { additionalProperties: false },
);

export const PusherAppSchema = Type.Object(
  {
    id: Type.Union([Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), Type.Integer({ minimum: 0 })], { description: 'App id, as the server SDKs send it in `/apps/{id}/…` (Pusher\'s are digits).' }),
    key: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$', description: 'App key: public, in `/app/{key}` and in `auth` signatures.' }),
    secret: Type.String({ minLength: 8, description: 'App secret: signs channel auth, user sign-in, HTTP API requests and webhooks. Keep it out of browsers.' }),
    namespace: Type.String({
      default: '',
      pattern: '^([a-z0-9_-]{1,64})?$',
      description: 'Herald namespace holding this app\'s channels: Pusher channel `x` is Herald channel `<namespace>:x`. Empty = `pusher-<id>` (lower-cased). Options of a namespace of that name under `namespaces` apply (history, max subscribers); otherwise Herald\'s defaults, with presence on.',
    }),
    enabled: Type.Boolean({ default: true, description: 'A disabled app refuses connections (close 4003) and API requests (403).' }),
    client_events: Type.Boolean({ default: true, description: 'Whether clients may send `client-` events on private and presence channels.' }),
    client_events_per_second: Type.Integer({ minimum: 1, default: 10, description: 'Client events one connection may send per second; above it the event is refused with a 4301 `pusher:error` (the connection stays).' }),
    max_event_bytes: Type.Integer({ minimum: 1, default: 10240, description: 'Largest `data` of one triggered event (HTTP API); above it the request is refused with 413. Pusher\'s limit is 10 KB.' }),
    max_connections: Type.Integer({ minimum: 0, default: 0, description: 'Connections of this app per node (0 = only limits.max_connections); above it the connection is closed with 4100 (pusher-js retries after a back-off).' }),
    allowed_origins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Browser origins allowed to connect to this app (e.g. https://app.example.com); empty = any. A connection without an Origin header (non-browser) is always allowed.',
    }),
    replay_protection: Type.Boolean({
      default: false,
      description: 'Refuse a signed HTTP API POST seen before within the timestamp window (shared through the engine). Off by default: the SDKs send no nonce, so two identical triggers within one second are byte-identical and the second one is refused (docs/pusher.md).',
    }),
    webhooks: Type.Array(PusherWebhookSchema, { default: [], description: 'Receivers of this app\'s webhooks, in Pusher\'s format, each `{url, events}`; retried with back-off, sent once per cluster.' }),
    webhook_delay_ms: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 3000,
      description: 'How long `channel_vacated` and `member_removed` wait before they are sent: a channel re-occupied (or a member back) within it sends neither (nor the matching occupied/added).',
    }),
  },
  { additionalProperties: false },
);
export type PusherAppConfig = Static<typeof PusherAppSchema>;

export const HooksSchema = Type.Object(
  {
    connect_url: Type.String({
      pattern: '^(https?://.+)?$',
      default: '',
      description: 'Backend asked who a connection without a token is (its allow-listed headers and cookies), answering the user, info, expiry and channels to subscribe, or a refusal (docs/hooks.md); empty = no hook (such a connection is anonymous).',
    }),
    refresh_url: Type.String({
      pattern: '^(https?://.+)?$',
      default: '',
      description: 'Backend asked to extend or end a session that came from the connect hook when it expires; empty = such a session is closed with 4004 when it expires.',
    }),
    rpc_url: Type.String({
      pattern: '^(https?://.+)?$',
      default: '',
      description: 'Backend that answers client `rpc` commands; empty = `rpc` is refused with `not_found`.',
    }),
    secret: Type.String({
      default: '',
      description: 'HMAC-SHA256 key: every hook request carries `X-Herald-Hook-Signature` made with it, and with `verify_responses` every answer must carry one too (docs/hooks.md). At least 16 characters when any hook is set.',
    }),
    verify_responses: Type.Boolean({
      default: false,
      description: 'Refuse (as `unavailable`) any hook answer without a valid `X-Herald-Hook-Signature` from the backend.',
    }),
    timeout_ms: Type.Integer({
      minimum: 1,
      default: 3000,
      description: 'How long one hook call may take, waiting for a free slot included; past it the client gets `unavailable`.',
    }),
    max_concurrency: Type.Integer({
      minimum: 1,
      default: 64,
      description: 'Hook calls in flight at once per node (all hooks together); more wait for a slot within their timeout.',
    }),
    connect_headers: Type.Array(Type.String({ minLength: 1 }), {
      default: ['user-agent', 'origin'],
      description: 'Request headers (lowercase) passed to the connect hook; no other header ever leaves Herald.',
    }),
    connect_cookies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Cookies (by name) passed to the connect hook, e.g. your session cookie.',
    }),
    max_body_bytes: Type.Integer({
      minimum: 64,
      default: 65536,
      description: 'Largest hook answer read; a bigger one counts as a failed call.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type HooksConfig = Static<typeof HooksSchema>;

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
            channels_claim: Type.String({
              default: 'channels',
              description: 'Claim listing channels the server subscribes the connection to (server-side subscriptions, no permission check: the token is trusted).',
            }),
            info_claim: Type.String({
              default: 'info',
              description: 'Claim holding the connection\'s info (a JSON object): its member info in presence until it sends `presence_update`.',
            }),
            refresh_grace_seconds: Type.Integer({
              minimum: 1,
              default: 30,
              description: 'After a connection\'s token expires, how long it has to send a fresh one before it is closed with 4004.',
            }),
            revocation_ttl_seconds: Type.Integer({
              minimum: 1,
              default: 604800,
              description:
                'How long a token revocation (control API, by jti or by user "issued before") is kept when the request names no expires_at. Keep it above your tokens\' lifetime.',
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
        user_connections: Type.Integer({
          minimum: 0,
          default: 0,
          description:
            'Streaming connections (WebSocket and SSE) one user may have open across every node sharing the engine; one more is closed with 4029 right after it opens. 0: no limit. Anonymous clients are not counted.',
        }),
        user_commands_per_second: Type.Integer({
          minimum: 0,
          default: 0,
          description:
            'Commands (subscribe, publish, presence, auth…; pings excepted) per second one user may send across all its connections and nodes (a token bucket in the engine, bursts up to the same number); more get a rate_limited reply, the connection stays. 0: off.',
        }),
        user_publishes_per_second: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Client publishes per second one user may make across all its connections and nodes (a token bucket in the engine); more get a rate_limited reply. 0: off.',
        }),
        connection_publishes_per_second: Type.Integer({
          minimum: 0,
          default: 0,
          description: "Client publishes per second one connection may make, in any namespace (the namespace's client_publish_per_second also applies); more get a rate_limited reply. 0: off.",
        }),
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
        update_per_second: Type.Number({
          minimum: 0.01,
          default: 5,
          description: 'Client `presence_update` commands one connection may send per second (bursts up to max(1, this)); beyond it they are refused with `rate_limited` and the connection stays open.',
        }),
        max_info_bytes: Type.Integer({
          minimum: 16,
          default: 1024,
          description: 'Largest member info (JSON) a `presence_update`, token or hook may set; bigger is refused with `payload_too_large`.',
        }),
        ttl_seconds: Type.Number({
          minimum: 0.05,
          default: 60,
          description:
            "Env PRESENCE_TTL_SECONDS. How long a node's presence entries (and its share of channel occupancy) last without a refresh: the members of a node that died leave, and channels only it had subscribers in are vacated, at most this long after its last refresh. Expired entries are swept every min(5 s, ttl_seconds / 4), and entries live ttl_seconds less that interval, so the sweep that removes them falls within ttl_seconds.",
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
    hooks: HooksSchema,
    server_subscriptions: Type.Object(
      {
        personal_namespace: Type.String({
          pattern: '^([a-z0-9_-]{1,64})?$',
          default: '',
          description: 'If set, every authenticated connection is subscribed by the server to its user\'s personal channel `<namespace>:#<user>` (limited to that user), which must be a configured namespace; empty = none.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    webhooks: Type.Array(WebhookSchema, {
      default: [],
      description: 'Receivers of signed HTTP event notifications (docs/webhooks.md), each `{url, secret, events, …}`; delivered in order per receiver, retried with backoff, never delaying message delivery.',
    }),
    pusher: Type.Object(
      {
        apps: Type.Array(PusherAppSchema, {
          default: [],
          description:
            'Pusher-protocol apps (docs/pusher.md), each `{id, key, secret, …}`: pusher-js connects to `/app/{key}`, the Pusher server SDKs call `/apps/{id}/…`. Env: PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET define one app; HERALD_PUSHER__APPS takes a YAML list.',
        }),
        activity_timeout_seconds: Type.Integer({
          minimum: 1,
          maximum: 120,
          default: 30,
          description: 'The `activity_timeout` sent in `pusher:connection_established`: a client idle this long pings; the server closes (4201) a connection silent for twice this plus 30 s.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    compat: CompatSchema,
    sources: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), SourceSchema, {
      default: {},
      description:
        'Publish sources by name (docs/sources.md): where the application already writes its updates (a PostgreSQL outbox table, Redis Streams), consumed by every node and published like `POST /api/publish`, exactly once in effect.',
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
