/**
 * @module protocols/seeds/seed001/registry
 * Seed 001's channels as this node knows them: the ones its YAML file and the config declare,
 * those created through `POST /api/v1/channels` on any node (created.ts), and which client ids are
 * connected to each here. Each channel is
 * its own Herald channel `<namespace>:<id>` (the seed put every YAML channel on one shared
 * pub/sub, so chat lines reached the notifications page; here they never meet).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { CompatConfig, Seed001Channel } from '../../../config/compat.js';
import { ConfigError } from '../../../config/load.js';

export type ChannelType = 'WS' | 'SSE';

export interface Seed001ChannelInfo {
  id: string;
  type: ChannelType;
  max: number;
}

interface SeedYaml {
  allowCreate: boolean;
  allowAllOrigins: boolean;
  channels: Seed001Channel[];
}

/** The parts of seed 001's YAML file Herald uses; a key left out is false, as in the seed. */
export function readSeed001Yaml(file: string): SeedYaml {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`compat.seed001.config_file ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const tree = (doc ?? {}) as { server?: Record<string, unknown>; channels?: Record<string, Record<string, unknown>> };
  const channels = Object.entries(tree.channels ?? {}).map(([key, c]) => {
    const max = c?.max_of_channel_connections;
    if (typeof c?.id !== 'string' || c.id === '' || (c.type !== 'WS' && c.type !== 'SSE') || typeof max !== 'number' || !Number.isInteger(max) || max <= 0) {
      throw new ConfigError(`compat.seed001.config_file ${file}: channel "${key}" needs an id, type WS or SSE and max_of_channel_connections > 0`);
    }
    return { id: c.id, type: c.type, max_of_channel_connections: max } as Seed001Channel;
  });
  return { allowCreate: tree.server?.allow_create_new_channels === true, allowAllOrigins: tree.server?.allow_all_origins === true, channels };
}

export class Seed001Registry {
  readonly #channels = new Map<string, Seed001ChannelInfo>();
  readonly #clients = new Map<string, Set<string>>();
  readonly allowCreate: boolean;
  readonly allowAllOrigins: boolean;

  constructor(readonly config: CompatConfig['seed001']) {
    const yaml = config.config_file ? readSeed001Yaml(config.config_file) : undefined;
    this.allowCreate = yaml ? yaml.allowCreate : config.allow_create_new_channels;
    this.allowAllOrigins = yaml ? yaml.allowAllOrigins : config.allow_all_origins;
    for (const c of [...(yaml?.channels ?? []), ...config.channels]) this.set(c.id, c.type, c.max_of_channel_connections);
  }

  /** The Herald channel of a seed channel id. */
  channelName(id: string): string {
    return `${this.config.namespace}:${id}`;
  }

  /** The seed channel id of a Herald channel of this namespace. */
  idOf(channel: string): string {
    return channel.slice(this.config.namespace.length + 1);
  }

  get(id: string): Seed001ChannelInfo | undefined {
    return this.#channels.get(id);
  }

  /** Create or replace (the seed silently replaced an existing id). */
  set(id: string, type: ChannelType, max: number): Seed001ChannelInfo {
    const info = { id, type, max };
    this.#channels.set(id, info);
    return info;
  }

  /** Why `clientId` may not connect to the channel now (422 full, 409 taken), or undefined. */
  refusal(info: Seed001ChannelInfo, clientId: string): { status: number; message: string } | undefined {
    const clients = this.#clients.get(info.id);
    if ((clients?.size ?? 0) >= info.max) return { status: 422, message: `maximum connection limit for this channel ${info.id} has been established` };
    if (clients?.has(clientId)) return { status: 409, message: `client ${clientId} is already connected on channel, please disconnect it before connect it again` };
    return undefined;
  }

  /** Hold the client id for a live connection; `release` frees it when the connection goes. */
  claim(id: string, clientId: string): void {
    let clients = this.#clients.get(id);
    if (!clients) this.#clients.set(id, (clients = new Set()));
    clients.add(clientId);
  }

  release(id: string, clientId: string): void {
    const clients = this.#clients.get(id);
    clients?.delete(clientId);
    if (clients?.size === 0) this.#clients.delete(id);
  }
}
