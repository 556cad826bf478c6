/**
 * @module protocols/pusher/pusher
 * The Pusher protocol on one Herald node: its apps, WebSocket endpoint, HTTP API and webhooks,
 * wired onto the node's hub, presence tracker and occupancy. server.ts calls only this.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ReplayCache } from '../../auth/replay-cache.js';
import type { Channels } from '../../channels/channels.js';
import type { HeraldConfig, NamespaceConfig } from '../../config/schema.js';
import type { Hub } from '../../hub/hub.js';
import type { ChannelOccupancy } from '../../presence/occupancy.js';
import type { PresenceEntry, PresenceStore } from '../../presence/presence.js';
import type { PresenceTracker } from '../../presence/tracker.js';
import { Admission } from './admission.js';
import { channelKind, PusherApps, pusherChannel, pusherNamespace } from './apps.js';
import { ChannelIndex } from './channel-index.js';
import { registerPusherApi } from './http-api.js';
import { createPusherFallbackEndpoint } from './http-fallback.js';
import { PusherPresence } from './presence.js';
import { PusherWebhooks } from './webhooks.js';
import type { PusherContext } from './connection.js';
import { createPusherWebSocketEndpoint, type PusherWebSocketEndpoint } from './websocket.js';

/** `/app/{key}`: where pusher-js opens its WebSocket. */
const APP_PATH = /^\/app\/([^/?]+)$/;

export interface PusherDeps {
  config: HeraldConfig;
  hub: Hub;
  channels: Channels;
  presence: PresenceTracker;
  occupancy: ChannelOccupancy;
  replay: ReplayCache;
  log: Logger;
  accepting(): boolean;
  /** Streaming connections of every protocol on this node. */
  connections(): number;
  /** Where the cluster's list of occupied channels is kept (a presence store of space `channels`); owned (closed) by the Pusher part. */
  indexStore(): PresenceStore;
  /** This node's id in shared stores, and how its entries are kept alive. */
  node: string;
  entryTtlMs: number;
  refreshMs: number;
}

/** Apps of the config, checked (unique ids, keys and namespaces); throws a ConfigError. */
export function pusherApps(config: HeraldConfig): PusherApps {
  return new PusherApps(config.pusher.apps);
}

/** `namespaces` plus one per app whose namespace is not configured. */
export function withPusherNamespaces(apps: PusherApps, namespaces: Record<string, NamespaceConfig>): Record<string, NamespaceConfig> {
  const out = { ...namespaces };
  for (const app of apps.all()) out[app.namespace] ??= pusherNamespace(namespaces.default);
  return out;
}

/** The member's `user_info` a join event carries to every node's Pusher subscribers. */
export function presenceEventInfo(entry: PresenceEntry): PresenceEntry {
  const { user, client, user_info: info } = entry as PresenceEntry & { user_info?: unknown };
  return info === undefined ? { user, client } : ({ user, client, user_info: info } as PresenceEntry);
}

export interface Pusher {
  readonly apps: PusherApps;
  readonly webhooks: PusherWebhooks;
  readonly connections: number;
  /** Take the upgrade if it is for `/app/{key}`; false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  registerRoutes(app: FastifyInstance): void;
  /** Told by the hub when a channel gets its first local subscriber or loses its last one. */
  occupancyChanged(channel: string, occupied: boolean): void;
  /** Whether a Herald channel is an app's private, encrypted, presence or user channel (signature-only for pusher-js). */
  restricted(heraldChannel: string): boolean;
  start(): Promise<void>;
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function createPusher(apps: PusherApps, deps: PusherDeps): Pusher {
  const presence = new PusherPresence(deps.presence);
  // Only nodes with apps keep the index: no engine traffic for those without.
  const indexStore = apps.size > 0 ? deps.indexStore() : undefined;
  const index = indexStore && new ChannelIndex(indexStore, { node: deps.node, ttlMs: deps.entryTtlMs, refreshMs: deps.refreshMs }, deps.log);
  const webhooks = new PusherWebhooks(
    apps,
    {
      occupied: async (channel) => (await deps.occupancy.subscribers(channel)).nodes > 0,
      present: async (channel, user) => (await deps.presence.store.entries(channel)).some((e) => e.user === user),
    },
    deps.log,
  );
  const limits = deps.config.limits;
  const context: PusherContext = { hub: deps.hub, channels: deps.channels, presence, webhooks, limits, log: deps.log, accepting: deps.accepting };
  // Shared by every Pusher transport: one count per app, one set of refusals.
  const admission = new Admission(apps, { connections: deps.connections, maxConnections: limits.max_connections, accepting: deps.accepting });
  const ws: PusherWebSocketEndpoint = createPusherWebSocketEndpoint({ context, admission, activityTimeoutSeconds: deps.config.pusher.activity_timeout_seconds });
  // pusher-js's xhr_streaming / xhr_polling: the same connections over HTTP requests, admitted
  // and counted with the WebSocket's.
  const http = createPusherFallbackEndpoint({
    context,
    admission,
    activityTimeoutSeconds: deps.config.pusher.activity_timeout_seconds,
    maxBodyBytes: limits.max_body_bytes,
  });
  return {
    apps,
    webhooks,
    get connections() {
      return ws.connections + http.connections;
    },
    handleUpgrade(req, socket, head) {
      const match = APP_PATH.exec((req.url ?? '').split('?')[0]!);
      if (!match) return false;
      let key = match[1]!;
      try {
        key = decodeURIComponent(key);
      } catch {
        // an unknown key either way: refused with 4001
      }
      ws.handleUpgrade(req, socket, head, key);
      return true;
    },
    registerRoutes(app) {
      if (apps.size === 0) return;
      http.register(app);
      registerPusherApi(app, {
        apps,
        hub: deps.hub,
        channels: deps.channels,
        presence,
        occupancy: deps.occupancy,
        index: index!,
        replay: deps.replay,
        maxJsonDepth: limits.max_json_depth,
        accepting: deps.accepting,
      });
    },
    occupancyChanged(channel, occupied) {
      const app = index && apps.ofChannel(channel);
      if (app) index.changed(app.namespace, channel, occupied);
    },
    restricted(channel) {
      return apps.ofChannel(channel) !== undefined && channelKind(pusherChannel(channel)) !== 'public';
    },
    start: async () => {
      await index?.start();
    },
    closeAll: async (code, reason, timeoutMs) => {
      await Promise.all([ws.closeAll(code, reason, timeoutMs), http.closeAll(code, reason, timeoutMs)]);
    },
    async close() {
      webhooks.close();
      await index?.close();
      await indexStore?.close();
    },
  };
}
