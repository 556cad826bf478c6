/**
 * @module protocols/seeds
 * The seed protocols (docs/migrating.md): the client side of the three services Herald was
 * specified from, each switched on under `compat`, each turning a socket or response into a
 * Subscriber of the same hub, so they run on every engine, across nodes, within the same limits.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { ClientAuthenticator } from '../../auth/client.js';
import { ConfigError } from '../../config/load.js';
import { NamespaceSchema, type HeraldConfig, type NamespaceConfig } from '../../config/schema.js';
import type { ConnectionContext } from '../../connection/connection.js';
import { splitUrl } from './http.js';
import { createSeed000, seed000Namespaces } from './seed000.js';
import { createSeed001, seed001Namespaces } from './seed001/seed001.js';
import { createSeed002, seed002Namespaces } from './seed002/seed002.js';
import { SeedSseStreams } from './sse.js';
import { SeedWebSockets } from './websocket.js';

export { seed000Channel, SEED000_DEFAULT_CHANNEL } from './seed000.js';

/** The namespaces the enabled seeds need, with the options they need; configured ones win over these. */
export function seedNamespaces(config: HeraldConfig): Record<string, NamespaceConfig> {
  const base = Value.Create(NamespaceSchema) as NamespaceConfig;
  const { seed000, seed001, seed002 } = config.compat;
  return {
    ...(seed000.enabled ? seed000Namespaces(seed000, base) : {}),
    ...(seed001.enabled ? seed001Namespaces(seed001.namespace, base) : {}),
    ...(seed002.enabled ? seed002Namespaces(seed002, base) : {}),
  };
}

interface Adapter {
  claims(path: string, query: URLSearchParams): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, query: URLSearchParams): void;
}

export interface SeedProtocolsOptions {
  config: HeraldConfig;
  context: ConnectionContext;
  authenticate: ClientAuthenticator;
  /** Streaming connections open on this node, every protocol together. */
  connections(): number;
}

export interface SeedProtocols {
  /** Take an upgrade that belongs to a seed protocol; false leaves it to the native endpoint. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Once the engine runs: follow what the seeds share through it (seed 001's created channels). */
  start(): Promise<void>;
  /** Add the seeds' HTTP routes (seed 001's channel API). */
  register(app: FastifyInstance): void;
  readonly connections: number;
  /** Of them, WebSockets and SSE streams. */
  readonly websockets: number;
  readonly streams: number;
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

/** Undefined when no seed protocol is on. */
export function createSeedProtocols(options: SeedProtocolsOptions): SeedProtocols | undefined {
  const { config, context, authenticate } = options;
  const { seed000, seed001, seed002 } = config.compat;
  if (!seed000.enabled && !seed001.enabled && !seed002.enabled) return undefined;
  if (seed000.enabled && !context.access.enabled) throw new ConfigError('config: compat.seed000 needs client auth, as the seed did: set auth.jwt.secrets (env JWT_SECRET)');
  const allowedOrigins = config.server.allowed_origins;
  const sockets = new SeedWebSockets({ context, heartbeatSeconds: config.heartbeat.interval_seconds, maxConnections: config.limits.max_connections, connections: options.connections });
  const streams = new SeedSseStreams(context, config.sse.heartbeat_seconds, () => options.connections() >= config.limits.max_connections);
  const s001 = seed001.enabled ? createSeed001({ config: seed001, context, sockets, streams, allowedOrigins }) : undefined;
  const adapters: Adapter[] = [
    ...(seed000.enabled ? [createSeed000({ config: seed000, sockets, authenticate, allowedOrigins })] : []),
    ...(seed002.enabled ? [createSeed002({ config: seed002, sockets, authenticate, allowedOrigins, jwtEnabled: context.access.enabled })] : []),
    ...(s001 ? [s001] : []),
  ];
  return {
    upgrade(req, socket, head) {
      const { path, query } = splitUrl(req);
      const adapter = adapters.find((a) => a.claims(path, query));
      if (!adapter) return false;
      try {
        adapter.upgrade(req, socket, head, path, query);
      } catch (err) {
        // A bug on one request must not take the node down with every other client.
        context.log.error({ err, path }, 'seed protocol upgrade failed');
        socket.destroy();
      }
      return true;
    },
    async start() {
      await s001?.start();
    },
    register(app) {
      s001?.register(app);
    },
    get connections() {
      return sockets.size + streams.size;
    },
    get websockets() {
      return sockets.size;
    },
    get streams() {
      return streams.size;
    },
    async closeAll(code, reason, timeoutMs) {
      s001?.stop();
      await Promise.all([sockets.closeAll(code, reason, timeoutMs), streams.closeAll(code, reason)]);
    },
  };
}
