/**
 * @module server
 * Wires the parts into one node: config → engine → hub → HTTP API + WebSocket, SSE and long-poll
 * endpoints, and owns start and graceful shutdown. Nothing here does protocol work itself.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import cors from '@fastify/cors';
import proxyAddr from '@fastify/proxy-addr';
import { CloseCode } from '@herald/protocol';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { registerChannelRoutes } from './api/channels.js';
import { registerClientBundle } from './api/client-bundle.js';
import { demoNamespace, registerDemo } from './api/demo.js';
import type { ApiContext } from './api/context.js';
import { clientErrorHandler } from './api/client-error.js';
import { frameworkErrors, registerErrorHandling } from './api/error-handler.js';
import { registerHealthRoutes } from './api/health.js';
import { IdempotencyCache } from './api/idempotency.js';
import { registerOpenApi } from './api/openapi.js';
import { apiPublisher, registerEventRoute, registerPublishRoutes } from './api/publish.js';
import { registerAdmin, type Admin } from './admin/admin.js';
import { registerJsonBodies } from './api/json-body.js';
import { fastPublisher, SECURITY_HEADERS } from './api/fast-publish.js';
import { requirePublisher } from './api/publisher-auth.js';
import { registerValidation } from './api/validation.js';
import { registerUserRoutes } from './api/users.js';
import { registerWebhookRoutes } from './api/webhooks.js';
import { AccessControl } from './auth/access.js';
import { ClientFailures, createClientAuthenticator, peerAddress, type AddressOf, type ClientAuthenticator } from './auth/client.js';
import { FailureLimiter } from './auth/failure-limiter.js';
import { JwtVerifier } from './auth/jwt.js';
import { createPublisherAuthenticator } from './auth/publisher.js';
import { MemoryReplayCache, type ReplayCache } from './auth/replay-cache.js';
import type { Broker } from './broker/broker.js';
import { MemoryBucketStore, MemoryControlBus, MemoryRecordStore } from './broker/control.js';
import { createBroker } from './broker/create.js';
import { BrokerMonitor } from './broker/monitor.js';
import { Channels, INTERNAL_NAMESPACE } from './channels/channels.js';
import type { ConnectionContext } from './connection/connection.js';
import { ConnectionRegistry } from './connection/registry.js';
import { Control } from './control/control.js';
import { UserLimits } from './control/limits.js';
import { ConfigError } from './config/load.js';
import type { HeraldConfig, NamespaceConfig } from './config/schema.js';
import { Hub } from './hub/hub.js';
import { createLogger } from './logger.js';
import { MemoryPresenceStore } from './presence/memory.js';
import type { PresenceEntry, PresenceSpace, PresenceStore } from './presence/presence.js';
import { ChannelOccupancy, type OccupancyEntry } from './presence/occupancy.js';
import { PresenceTracker, presenceTiming } from './presence/tracker.js';
import { Webhooks } from './webhooks/webhooks.js';
import { createPusher, presenceEventInfo, pusherApps, withPusherNamespaces } from './protocols/pusher/pusher.js';
import { clusterMetrics } from './metrics/cluster.js';
import { createMetrics, registerMetricsRoute } from './metrics/metrics.js';
import { createBackendHooks } from './hooks/backend.js';
import { HookClient } from './hooks/client.js';
import { withConnectHook } from './hooks/connect.js';
import { createLongPollEndpoint, type LongPollEndpoint } from './transports/long-poll.js';
import { createSseEndpoint, type SseEndpoint } from './transports/sse.js';
import { createWebSocketEndpoint, type WebSocketEndpoint } from './transports/websocket.js';
import { createSeedProtocols, seedNamespaces } from './protocols/seeds/index.js';
import { registerSourceMetrics } from './sources/metrics.js';
import { Sources } from './sources/sources.js';
import { loadTls } from './tls.js';

export interface HeraldOptions {
  /** Use this logger instead of one built from `config.log`. */
  logger?: Logger;
  /** Use this engine instead of the one named in `config.engine`; the caller owns it (close() leaves it open). */
  broker?: Broker;
  /** The dev secret to use when none is configured, instead of a new one (cluster workers share their primary's). */
  devSecret?: string;
  /** Replace how clients are authenticated (default: JWT per `auth.jwt`, anonymous without keys). */
  authenticateClient?: ClientAuthenticator;
  /** TEST ONLY: fault injection, see `Hub.encodeFault`. Never set it in production. */
  testHooks?: { encodeFault?: Hub['encodeFault'] };
}

export interface Herald {
  readonly config: HeraldConfig;
  readonly log: Logger;
  readonly hub: Hub;
  readonly presence: PresenceTracker;
  readonly webhooks: Webhooks;
  /** The publish sources of `sources:` (docs/sources.md). */
  readonly sources: Sources;
  /** Set when no publisher credential was configured: the secret generated for this run. */
  readonly devSecret: string | undefined;
  /** Listen; resolves with the bound address (port 0 picks a free one) and whether it speaks TLS. */
  start(): Promise<{ host: string; port: number; tls: boolean }>;
  /** Graceful shutdown: refuse new work, close clients with 1012, then stop. Idempotent. */
  close(): Promise<void>;
}

const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long an `Idempotency-Key` answer is kept for retries. */
const IDEMPOTENCY_TTL_MS = 10 * 60_000;
/** How stale another node's subscriber count may be in a channel's global count. */
const OCCUPANCY_COUNT_INTERVAL_MS = 1_000;

/**
 * Node's limits on receiving a request (its defaults, 60 s for headers and 300 s for the whole
 * request, let a body trickled byte by byte hold a connection for minutes). Node measures only
 * the request, never the answer, so streams and long-polls are not cut. Expiry is checked every
 * `connectionsCheckingInterval` (Node's default: 30 s), here every second or more often.
 */
function requestTimeouts(server: HeraldConfig['server']): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  if (server.headers_timeout_seconds > server.request_timeout_seconds) {
    throw new ConfigError('config: server.headers_timeout_seconds must not exceed server.request_timeout_seconds');
  }
  const headersTimeout = Math.round(server.headers_timeout_seconds * 1000);
  return { headersTimeout, requestTimeout: Math.round(server.request_timeout_seconds * 1000), connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.round(headersTimeout / 2))) };
}

/** Hooks need a signing secret: a backend must be able to tell Herald's calls from anyone's. */
function checkHooks(config: HeraldConfig): HeraldConfig['hooks'] {
  const h = config.hooks;
  const any = h.connect_url || h.refresh_url || h.rpc_url || Object.values(config.namespaces).some((ns) => ns.subscribe_hook || ns.publish_hook);
  if (any && h.secret.length < 16) throw new ConfigError('config: hooks.secret must be at least 16 characters when any hook is set (requests are signed with it)');
  if (h.verify_responses && !h.secret) throw new ConfigError('config: hooks.verify_responses needs hooks.secret');
  return h;
}

/** No publisher credential of any kind is configured: the node runs with a generated dev secret. */
export function needsDevSecret(config: HeraldConfig): boolean {
  const auth = config.auth;
  return auth.api_keys.length + Object.keys(auth.signing_keys).length + auth.time_token.secrets.length === 0;
}

export function newDevSecret(): string {
  return `hrld_dev_${randomBytes(24).toString('base64url')}`;
}

export function createHerald(config: HeraldConfig, options: HeraldOptions = {}): Herald {
  const log = options.logger ?? createLogger(config.log.level);
  const auth = config.auth;
  const devSecret = needsDevSecret(config) ? (options.devSecret ?? newDevSecret()) : undefined;
  const broker = options.broker ?? createBroker(config);
  const hub = new Hub(broker, log);
  hub.encodeFault = options.testHooks?.encodeFault;
  const monitor = new BrokerMonitor(broker, hub, { heartbeatIntervalMs: config.engine.heartbeat_interval_seconds * 1000, log });
  const demo = config.server.demo;
  // The admin page's stats channel lives in a reserved namespace that exists only with the page on.
  const adminNamespace: NamespaceConfig = {
    history_size: 1,
    history_ttl_seconds: 10,
    max_subscribers: 0,
    allow_client_publish: false,
    client_publish_per_second: 0,
    write_delay_ms: 0,
    conflation: false,
    echo: true,
    presence: false,
    transports: ['websocket'],
    allow_create_new_channels: true,
    channels: [],
    allow_anonymous: true,
    private: false,
    subscribe_hook: '',
    publish_hook: '',
  };
  if (config.admin.token && config.admin.token.length < 16) throw new ConfigError('config: admin.token must be at least 16 characters (or empty to turn the admin page off)');
  let namespaces = config.namespaces;
  if (demo && !namespaces.demo) namespaces = { ...namespaces, demo: demoNamespace() };
  if (config.admin.token) namespaces = { ...namespaces, [INTERNAL_NAMESPACE]: adminNamespace };
  // Each Pusher app's channels live in a namespace of their own (protocols/pusher/apps.ts).
  const apps = pusherApps(config);
  namespaces = withPusherNamespaces(apps, { ...seedNamespaces(config), ...namespaces });
  const channels = new Channels({ ...config, namespaces });
  const personal = config.server_subscriptions.personal_namespace;
  if (personal && !namespaces[personal] && !config.server.accept_any_namespace) {
    throw new ConfigError(`config: server_subscriptions.personal_namespace "${personal}" is not a configured namespace`);
  }
  const { sweepIntervalMs, entryTtlMs } = presenceTiming(config.presence.ttl_seconds * 1000);
  const refreshMs = config.presence.refresh_seconds * 1000;
  if (refreshMs >= entryTtlMs) {
    throw new ConfigError(`config: presence.refresh_seconds must be below presence.ttl_seconds less its sweep interval (${entryTtlMs / 1000} s)`);
  }
  const storeFor = <E extends PresenceEntry>(space: PresenceSpace): PresenceStore<E> =>
    broker.presenceStore?.<E>(space, sweepIntervalMs) ?? new MemoryPresenceStore<E>({ sweepIntervalMs });
  const presenceStore = storeFor('presence');
  const occupancyStore = storeFor<OccupancyEntry>('occupancy');
  const webhooks = new Webhooks(config.webhooks, log);
  const nodeName = config.server.node_name || `n_${randomBytes(3).toString('hex')}`;
  const occupancy = new ChannelOccupancy(
    occupancyStore,
    {
      node: `${nodeName}/${randomBytes(6).toString('base64url')}`,
      ttlMs: entryTtlMs,
      refreshMs,
      countIntervalMs: OCCUPANCY_COUNT_INTERVAL_MS,
      count: (channel) => hub.subscriberCount(channel),
      onChange: (channel, occupied) => {
        webhooks.emit({ type: occupied ? 'channel.occupied' : 'channel.vacated', channel });
        pusher.webhooks.occupancy(channel, occupied);
      },
    },
    log,
  );
  hub.onOccupancy = (channel, occupied) => {
    occupancy.changed(channel, occupied);
    pusher.occupancyChanged(channel, occupied);
  };
  const presence = new PresenceTracker(
    presenceStore,
    {
      ttlMs: entryTtlMs,
      refreshMs,
      announce: async (type, channel, entry) => {
        const { user, client, info } = entry;
        const member = info === undefined ? { user, client } : { user, client, info };
        webhooks.emit({ type: `presence.${type}`, channel, info: member });
        if (type !== 'update') pusher.webhooks.presence(type, channel, user);
        // Pusher members carry `user_info`, Herald members `info`: each protocol reads its own.
        await broker.publishEvent({ channel, type, info: info === undefined ? presenceEventInfo(entry) : { ...presenceEventInfo(entry), info } });
      },
    },
    log,
  );
  // Separate counts: anonymous browsers sending bad tokens must not lock out publishers sharing their address (e.g. behind a proxy).
  const counter = broker.sharedCounter?.();
  const publisherFailures = new FailureLimiter(auth.failure_limit_per_minute, counter && { counter, scope: 'publisher' });
  const clientFailures = new FailureLimiter(auth.failure_limit_per_minute, counter && { counter, scope: 'client' });
  const replay: ReplayCache = broker.replayCache?.() ?? new MemoryReplayCache();
  const idempotencyStore = broker.idempotencyStore?.(IDEMPOTENCY_TTL_MS);
  const idempotency = new IdempotencyCache(IDEMPOTENCY_TTL_MS, idempotencyStore);
  // A source redelivers a dead node's records within seconds: its claims outlive one publish (bounded by the engine timeout), not 30 s.
  const sourceIdempotency = new IdempotencyCache(IDEMPOTENCY_TTL_MS, idempotencyStore, config.engine.timeout_seconds * 2000 + 1000);
  const access = new AccessControl(JwtVerifier.create(auth.jwt), auth.jwt);
  const registry = new ConnectionRegistry();
  const control = new Control({
    bus: broker.controlBus?.() ?? new MemoryControlBus(),
    records: broker.recordStore?.() ?? new MemoryRecordStore(),
    registry,
    nodeName,
    log,
    revocationTtlMs: auth.jwt.revocation_ttl_seconds * 1000,
  });
  access.admit = (identity) => control.admit(identity);
  const userLimits = new UserLimits({
    limits: config.limits,
    connectionStore: () => storeFor('connections'),
    buckets: broker.bucketStore?.() ?? new MemoryBucketStore(),
    ttlMs: entryTtlMs,
    refreshMs,
    log,
  });
  let accepting = true;
  if (!access.enabled) log.warn('client auth is off (no auth.jwt secret, key or JWKS): any client may subscribe to any channel');

  const trustProxy = config.server.trust_proxy;
  const trusted = trustProxy.length > 0 ? proxyAddr.compile(trustProxy) : undefined;
  const addressOf: AddressOf = trusted ? (req) => proxyAddr(req, trusted) : peerAddress;
  const hookClient = new HookClient(checkHooks(config), log);
  const hooks = createBackendHooks(config.hooks, hookClient, config.presence.max_info_bytes);
  const failures = new ClientFailures(clientFailures, (reason) => hub.counters.authFailure('client', reason));
  const context: ConnectionContext = {
    hub,
    channels,
    limits: config.limits,
    log,
    access,
    failures,
    addressOf,
    presence,
    webhooks,
    refreshGraceSeconds: auth.jwt.refresh_grace_seconds,
    hooks,
    presenceLimits: config.presence,
    personalNamespace: config.server_subscriptions.personal_namespace,
    accepting: () => accepting,
    registry,
    userLimits,
  };
  const authenticate = withConnectHook(options.authenticateClient ?? createClientAuthenticator(access, failures, addressOf), hooks, config.hooks, addressOf, (identity) => control.admit(identity));
  const connections = () => ws.connections + sse.connections + pusher.connections + (seeds?.connections ?? 0);
  const ws: WebSocketEndpoint = createWebSocketEndpoint({
    context,
    authenticate,
    allowedOrigins: config.server.allowed_origins,
    nodeName,
    heartbeatSeconds: config.heartbeat.interval_seconds,
    maxConnections: config.limits.max_connections,
    connections,
  });
  const sse: SseEndpoint = createSseEndpoint({
    context,
    authenticate,
    allowedOrigins: config.server.allowed_origins,
    heartbeatSeconds: config.sse.heartbeat_seconds,
    retryMs: config.sse.retry_ms,
    maxConnections: config.limits.max_connections,
    connections,
  });
  const seeds = createSeedProtocols({ config, context, authenticate, connections });
  const longPoll: LongPollEndpoint = createLongPollEndpoint({
    context,
    authenticate,
    allowedOrigins: config.server.allowed_origins,
    timeoutSeconds: config.longpoll.timeout_seconds,
  });

  const pusher = createPusher(apps, {
    config,
    hub,
    channels,
    presence,
    occupancy,
    replay,
    log,
    accepting: () => accepting,
    connections,
    indexStore: () => storeFor('channels'),
    node: `${nodeName}/${randomBytes(6).toString('base64url')}`,
    entryTtlMs,
    refreshMs,
  });

  // Seed-protocol clients count with their transport on the admin page and in the metrics.
  const byTransport = () => ({ websocket: ws.connections + (seeds?.websockets ?? 0), sse: sse.connections + (seeds?.streams ?? 0), longpoll: longPoll.pending, pusher: pusher.connections });

  const tls = loadTls(config.server.tls);
  const timeouts = requestTimeouts(config.server);
  let fastPublish: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const app = Fastify({
    // One port either way: with TLS, the HTTPS server also carries the WebSocket upgrades (WSS).
    // A socket stuck before its TLS handshake is no HTTP connection: nothing idles it out and
    // close() waits for it, so it gets 10 s (Node's default is 120 s).
    serverFactory: (fastify: RequestListener) => {
      // A plain `POST /api/publish` or `/api/publish/batch` is answered ahead of the router (api/fast-publish), the rest by Fastify.
      const handler: RequestListener = (req, res) => {
        if (fastPublish === undefined || !fastPublish(req, res)) fastify(req, res);
      };
      return tls ? (createHttpsServer({ ...tls, ...timeouts, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, handler) as unknown as Server) : createHttpServer(timeouts, handler);
    },
    // req.ip (publisher auth limits, admin) follows X-Forwarded-For only from these proxies.
    trustProxy: trustProxy.length > 0 ? [...trustProxy] : false,
    loggerInstance: log as FastifyBaseLogger,
    clientErrorHandler: clientErrorHandler(log as FastifyBaseLogger),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.max_body_bytes,
    // Path parameters are channel names and user ids (up to 256 characters), URL-encoded (up to
    // three bytes a character): Fastify's default of 100 would refuse long ones the API accepts.
    routerOptions: { maxParamLength: 3 * Math.max(config.limits.max_channel_length, 256) },
    frameworkErrors,
    return503OnClosing: true,
  });
  // JSON only: anything else is a 415 rather than a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  registerJsonBodies(app, config.limits.max_json_depth);
  registerValidation(app);
  registerErrorHandling(app, (message) => hub.counters.error('http', message));
  registerOpenApi(app);
  // A callback hook: an async one costs a promise on every answer, publishes included.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  if (config.server.cors_origins.length > 0) {
    const origins = config.server.cors_origins;
    void app.register(cors, { origin: origins.includes('*') ? '*' : origins, methods: ['GET', 'POST'], maxAge: 600 });
  }

  const ctx: ApiContext = {
    config,
    hub,
    broker,
    channels,
    presence,
    occupancy,
    authenticate: createPublisherAuthenticator({
      apiKeys: devSecret ? [devSecret] : auth.api_keys,
      signingKeys: devSecret ? { default: devSecret } : auth.signing_keys,
      toleranceSeconds: auth.signature_tolerance_seconds,
      timeTokenSecrets: devSecret ? [devSecret] : auth.time_token.secrets,
      timeToken: { windowSeconds: auth.time_token.window_seconds, skewWindows: auth.time_token.skew_windows },
      replay,
      limiter: publisherFailures,
      onFailure: (reason) => hub.counters.authFailure('publisher', reason),
    }),
    idempotency,
    accepting: () => accepting,
    engine: () => monitor.status(),
    stats: () => ({ connections: connections() }),
    sources: () => ({ states: sources.states(), down: sources.downRequired() }),
  };
  const sources = new Sources(
    config,
    {
      publish: apiPublisher(ctx),
      idempotency: sourceIdempotency,
      log,
      limits: { maxDataBytes: config.limits.max_body_bytes, maxJsonDepth: config.limits.max_json_depth },
    },
    log,
  );
  // Off where Fastify adds to every answer (CORS) or computes the caller's address (trusted proxies): those take the route.
  if (config.server.cors_origins.length === 0 && trustProxy.length === 0) {
    fastPublish = fastPublisher({
      ctx,
      publish: apiPublisher(ctx),
      parseJson: app.getDefaultJsonParser('error', 'error'),
      maxBodyBytes: config.limits.max_body_bytes,
      maxJsonDepth: config.limits.max_json_depth,
      log,
      onServerError: (message) => hub.counters.error('http', message),
    });
  }
  registerClientBundle(app);
  seeds?.register(app);
  if (demo) registerDemo(app);
  let admin: Admin | undefined;
  if (config.admin.token) {
    admin = registerAdmin(app, {
      token: config.admin.token,
      hub,
      channels,
      nodeName,
      engine: broker.name,
      limiter: clientFailures,
      connections: byTransport,
      control,
      publish: apiPublisher(ctx),
    });
    access.adminToken = admin.tokenMatches;
  }
  access.restricted = apps.size > 0 ? (channel) => pusher.restricted(channel.name) : undefined;
  // Plugins load in order, so routes added in these two run after @fastify/swagger: they are in the OpenAPI document.
  void app.register(async (open) => {
    registerHealthRoutes(open, ctx);
    if (config.metrics.enabled) {
      const registry = createMetrics({
        hub,
        connections: byTransport,
        webhookQueue: () => webhooks.stats().reduce((sum, w) => sum + w.queued, 0),
        webhookDropped: () => webhooks.stats().reduce((sum, w) => sum + w.dropped, 0),
        hooks: hookClient.stats,
      });
      registerSourceMetrics(registry, sources.runners);
      registerMetricsRoute(open, registry, config.metrics.token, cluster.isWorker ? clusterMetrics(registry) : undefined);
    }
    open.get('/sse', sse.handle);
    open.get('/poll', longPoll.handle);
    if (config.compat.seed002.open_event_api) registerEventRoute(open, ctx);
  });
  void app.register(async (api) => {
    requirePublisher(api, ctx.authenticate);
    registerPublishRoutes(api, ctx);
    registerChannelRoutes(api, ctx);
    registerWebhookRoutes(api, webhooks);
  });
  void app.register(async (api) => {
    requirePublisher(api, ctx.authenticate);
    registerUserRoutes(api, ctx, control);
  });
  pusher.registerRoutes(app);

  // Node never counts a connection that has not sent a request yet as idle, so closing the server
  // would wait for its headers timeout; HTTP clients open such spare connections (an aborted
  // EventSource fetch does, browsers preconnect). Shutdown cuts them.
  const silent = new Set<Duplex>();
  // One listener for every socket, removed at its first request: a closure per socket would stay
  // for the socket's whole life (memory per idle connection).
  function forgetSilent(this: Duplex): void {
    silent.delete(this);
  }
  function spoke(socket: Duplex): void {
    if (silent.delete(socket)) socket.removeListener('close', forgetSilent);
  }
  // With TLS, requests and upgrades arrive on the TLS socket, which exists once the handshake is done.
  app.server.on(tls ? 'secureConnection' : 'connection', (socket: Duplex) => {
    silent.add(socket);
    socket.on('close', forgetSilent);
  });
  app.server.on('request', (req: IncomingMessage) => spoke(req.socket));

  app.server.on('upgrade', (req, socket, head) => {
    spoke(socket);
    const path = (req.url ?? '').split('?')[0];
    if (seeds?.upgrade(req, socket, head)) return;
    if (path === '/ws') return ws.handleUpgrade(req, socket, head);
    if (pusher.handleUpgrade(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    hub,
    presence,
    webhooks,
    sources,
    devSecret,
    async start() {
      await monitor.start();
      await seeds?.start();
      await presence.start();
      await occupancy.start();
      await userLimits.start();
      control.start();
      await pusher.start();
      await app.listen({ host: config.server.host, port: config.server.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.server.port;
      log.info({ host: config.server.host, port, tls: tls !== undefined, node: nodeName, engine: broker.name }, 'herald listening');
      await sources.start();
      return { host: config.server.host, port, tls: tls !== undefined };
    },
    close() {
      closing ??= (async () => {
        // Sources first: the batch in hand is published and settled while the engine still takes publications.
        await sources.stop();
        accepting = false;
        admin?.close();
        const timeoutMs = config.server.shutdown_timeout_seconds * 1000;
        longPoll.closeAll();
        await Promise.all([
          ws.closeAll(CloseCode.ServiceRestart, 'server restart: reconnect', timeoutMs),
          sse.closeAll(CloseCode.ServiceRestart, 'server restart: reconnect', timeoutMs),
          // 4200: pusher-js reconnects at once (to another node behind the balancer).
          pusher.closeAll(4200, 'server restart: reconnect', timeoutMs),
          seeds?.closeAll(CloseCode.ServiceRestart, 'server restart: reconnect', timeoutMs),
        ]);
        for (const socket of silent) socket.destroy();
        await app.close();
        monitor.stop();
        control.close();
        await Promise.all([presence.close(), occupancy.close(), userLimits.close()]);
        webhooks.close();
        await pusher.close();
        await occupancyStore.close();
        await presenceStore.close();
        if (!options.broker) await broker.close();
        replay.close();
        idempotency.close();
        sourceIdempotency.close();
        log.info('herald stopped');
      })();
      return closing;
    },
  };
}
