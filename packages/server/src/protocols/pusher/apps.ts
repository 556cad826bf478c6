/**
 * @module protocols/pusher/apps
 * The Pusher apps of this node and how their channels map onto Herald's.
 *
 * Mapping (docs/pusher.md, "One channel space"): each app owns one Herald namespace (default
 * `pusher-<id>`), and Pusher channel `x` of that app is Herald channel `<namespace>:x`. So two
 * apps never share a channel, a presence set, an occupancy entry or a webhook, on any engine,
 * and a Herald-protocol client or the Herald HTTP API reaches a Pusher app's channel by its
 * namespaced name. Pusher's channel prefixes (`private-`, `presence-`, …) stay part of the name.
 */
import type { NamespaceConfig, PusherAppConfig } from '../../config/schema.js';
import { ConfigError } from '../../config/load.js';

export interface PusherApp extends Omit<PusherAppConfig, 'id'> {
  id: string;
  namespace: string;
}

/** Pusher's channel-name rule (and `#` for the reserved `#server-to-user-` channels); 200 is what pusher-http-node allows. */
const CHANNEL_NAME = /^#?[-a-zA-Z0-9_=@,.;]{1,200}$/;

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export function channelKind(name: string): ChannelKind {
  if (name.startsWith('private-encrypted-')) return 'encrypted';
  if (name.startsWith('private-')) return 'private';
  if (name.startsWith('presence-')) return 'presence';
  if (name.startsWith('#server-to-user-')) return 'user';
  return 'public';
}

/** `cache-`, `private-cache-`, `private-encrypted-cache-`, `presence-cache-`: a subscriber first gets the last event, or `pusher:cache_miss`. */
export function isCacheChannel(name: string): boolean {
  return /^(private-(encrypted-)?|presence-)?cache-/.test(name);
}

export function validChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME.test(name);
}

/** The Pusher channel of a Herald channel name: everything after the namespace. */
export function pusherChannel(heraldChannel: string): string {
  return heraldChannel.slice(heraldChannel.indexOf(':') + 1);
}

export function userChannel(userId: string): string {
  return `#server-to-user-${userId}`;
}

/** Options of an app namespace that is not configured under `namespaces`: presence kept, nothing else special. */
export function pusherNamespace(defaults: NamespaceConfig | undefined): NamespaceConfig {
  const base: NamespaceConfig = defaults ?? {
    history_size: 100,
    history_ttl_seconds: 300,
    max_subscribers: 0,
    allow_client_publish: false,
    client_publish_per_second: 0,
    write_delay_ms: 2,
    echo: true,
    conflation: false,
    presence: false,
    transports: ['websocket', 'sse', 'longpoll'],
    allow_create_new_channels: true,
    channels: [],
    allow_anonymous: false,
    private: false,
    subscribe_hook: '',
    publish_hook: '',
  };
  return { ...base, presence: true, allow_create_new_channels: true, channels: [] };
}

export class PusherApps {
  readonly #byKey = new Map<string, PusherApp>();
  readonly #byId = new Map<string, PusherApp>();
  readonly #byNamespace = new Map<string, PusherApp>();

  constructor(configs: readonly PusherAppConfig[]) {
    for (const config of configs) {
      const id = String(config.id);
      const app: PusherApp = { ...config, id, namespace: config.namespace || `pusher-${id.toLowerCase()}` };
      if (!/^[a-z0-9_-]{1,64}$/.test(app.namespace)) throw new ConfigError(`config: pusher app ${id} needs a namespace of a-z 0-9 _ - (set pusher.apps[].namespace)`);
      for (const [map, k, what] of [[this.#byKey, app.key, 'key'], [this.#byId, id, 'id'], [this.#byNamespace, app.namespace, 'namespace']] as const) {
        if (map.has(k)) throw new ConfigError(`config: two pusher apps share the ${what} "${k}"`);
        map.set(k, app);
      }
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  all(): PusherApp[] {
    return [...this.#byId.values()];
  }

  byKey(key: string): PusherApp | undefined {
    return this.#byKey.get(key);
  }

  byId(id: string): PusherApp | undefined {
    return this.#byId.get(id);
  }

  /** The app a Herald channel belongs to, if any. */
  ofChannel(heraldChannel: string): PusherApp | undefined {
    const colon = heraldChannel.indexOf(':');
    return colon === -1 ? undefined : this.#byNamespace.get(heraldChannel.slice(0, colon));
  }
}

/** The Herald channel of an app's Pusher channel. */
export function heraldChannel(app: PusherApp, channel: string): string {
  return `${app.namespace}:${channel}`;
}
