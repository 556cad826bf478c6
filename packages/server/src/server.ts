/**
 * @module server
 * Wires the parts into one node: config → engine → hub → HTTP API + WebSocket, SSE and long-poll
 * endpoints, and owns start and graceful shutdown. Nothing here does protocol work itself.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode } from '@herald/protocol';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { pino, type Logger } from 'pino';
import { registerChannelRoutes } from './api/channels.js';
import type { ApiContext } from './api/context.js';
import { registerErrorHandling } from './api/error-handler.js';
import { registerHealthRoutes } from './api/health.js';
import { registerValidation } from './api/validation.js';
import { registerPublishRoutes } from './api/publish.js';
import { apiKeyAuthenticator } from './auth/api-key.js';
import { anonymousClients, type ClientAuthenticator } from './auth/client.js';
import type { Broker } from './broker/broker.js';
import { MemoryBroker } from './broker/memory.js';
import { Channels } from './channels/channels.js';
import type { ConnectionContext } from './connection/connection.js';
import type { HeraldConfig } from './config/schema.js';
import { Hub } from './hub/hub.js';
import { createLongPollEndpoint, type LongPollEndpoint } from './transports/long-poll.js';
import { createSseEndpoint, type SseEndpoint } from './transports/sse.js';
import { createWebSocketEndpoint, type WebSocketEndpoint } from './transports/websocket.js';

export interface HeraldOptions {
  /** Use this logger instead of one built from `config.log`. */
  logger?: Logger;
  /** Use this engine instead of the one named in `config.engine`. */
  broker?: Broker;
  /** How clients are authenticated; anonymous until client auth is configured. */
  authenticateClient?: ClientAuthenticator;
}

export interface Herald {
  readonly config: HeraldConfig;
  readonly log: Logger;
  readonly hub: Hub;
  /** Set when no API key was configured: the key generated for this run. */
  readonly devApiKey: string | undefined;
  /** Listen; resolves with the bound address (port 0 picks a free one). */
  start(): Promise<{ host: string; port: number }>;
  /** Graceful shutdown: refuse new work, close clients with 1012, then stop. Idempotent. */
  close(): Promise<void>;
}

export function createHerald(config: HeraldConfig, options: HeraldOptions = {}): Herald {
  const log =
    options.logger ??
    pino({ level: config.log.level, redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' } });
  const devApiKey = config.auth.api_keys.length === 0 ? `hrld_dev_${randomBytes(18).toString('base64url')}` : undefined;
  const broker = options.broker ?? new MemoryBroker();
  const hub = new Hub(broker);
  const channels = new Channels(config);
  const nodeName = config.server.node_name || `n_${randomBytes(3).toString('hex')}`;
  let accepting = true;

  const context: ConnectionContext = { hub, channels, limits: config.limits, log, accepting: () => accepting };
  const authenticate = options.authenticateClient ?? anonymousClients;
  const connections = () => ws.connections + sse.connections;
  const ws: WebSocketEndpoint = createWebSocketEndpoint({
    context,
    authenticate,
    nodeName,
    heartbeatSeconds: config.heartbeat.interval_seconds,
    maxConnections: config.limits.max_connections,
    connections,
  });
  const sse: SseEndpoint = createSseEndpoint({
    context,
    authenticate,
    heartbeatSeconds: config.sse.heartbeat_seconds,
    retryMs: config.sse.retry_ms,
    maxConnections: config.limits.max_connections,
    connections,
  });
  const longPoll: LongPollEndpoint = createLongPollEndpoint({ context, authenticate, timeoutSeconds: config.longpoll.timeout_seconds });

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.max_body_bytes,
    return503OnClosing: true,
  });
  // JSON only: anything else is a 415 rather than a string the schema then rejects.
  app.removeContentTypeParser('text/plain');

  const ctx: ApiContext = {
    config,
    hub,
    broker,
    channels,
    authenticate: apiKeyAuthenticator(devApiKey ? [devApiKey] : config.auth.api_keys),
    accepting: () => accepting,
    stats: () => ({ connections: connections() }),
  };
  registerValidation(app);
  registerErrorHandling(app);
  registerHealthRoutes(app, ctx);
  app.get('/sse', sse.handle);
  app.get('/poll', longPoll.handle);
  void app.register(async (api) => {
    api.addHook('onRequest', async (req) => ctx.authenticate(req.headers));
    registerPublishRoutes(api, ctx);
    registerChannelRoutes(api, ctx);
  });

  // Node never counts a connection that has not sent a request yet as idle, so closing the server
  // would wait for its headers timeout; HTTP clients open such spare connections (an aborted
  // EventSource fetch does, browsers preconnect). Shutdown cuts them.
  const silent = new Set<Duplex>();
  app.server.on('connection', (socket: Duplex) => {
    silent.add(socket);
    socket.once('close', () => silent.delete(socket));
  });
  app.server.on('request', (req: IncomingMessage) => silent.delete(req.socket));

  app.server.on('upgrade', (req, socket, head) => {
    silent.delete(socket);
    const path = (req.url ?? '').split('?')[0];
    if (path === '/ws') return ws.handleUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    hub,
    devApiKey,
    async start() {
      await broker.start(hub);
      await app.listen({ host: config.server.host, port: config.server.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.server.port;
      log.info({ host: config.server.host, port, node: nodeName, engine: broker.name }, 'herald listening');
      return { host: config.server.host, port };
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        const timeoutMs = config.server.shutdown_timeout_seconds * 1000;
        longPoll.closeAll();
        await Promise.all([
          ws.closeAll(CloseCode.ServiceRestart, 'server restart: reconnect', timeoutMs),
          sse.closeAll(CloseCode.ServiceRestart, 'server restart: reconnect', timeoutMs),
        ]);
        for (const socket of silent) socket.destroy();
        await app.close();
        await broker.close();
        log.info('herald stopped');
      })();
      return closing;
    },
  };
}
