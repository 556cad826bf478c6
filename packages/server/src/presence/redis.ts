/**
 * @module presence/redis
 * Presence (or occupancy) shared by every node on one Redis. Per channel, a hash of entries
 * (field = client id, value = the entry with its owner node) and a hash counting each user's
 * entries, changed together by Lua scripts so join/leave transitions are atomic across nodes.
 * Expiry is per node (presence/shared.ts): heartbeats are scores in one sorted set, in Redis's
 * clock, and each node lists the entries it owns in a set of its own, which is what the claimer
 * of a dead node walks. Key layout: docs/engines.md.
 */
import type { RedisConnection } from '../broker/redis-connection.js';
import { defineScript, NOW_MS, type Script } from '../broker/redis-lua.js';
import type { PresenceEntry } from './presence.js';
import { SharedPresenceStore, withoutOwner, type Owned, type Removed } from './shared.js';

/** KEYS: entries, users. ARGV: client, user, stored entry. Returns 1 when the user joined. */
const ADD = `
local existed = redis.call('HEXISTS', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if existed == 1 then return 0 end
if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then return 1 end
return 0
`;

/** KEYS: entries, users. ARGV: client, owner ('' = any). Returns [stored entry, 1 if the user left] or nil. */
const REMOVE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return false end
local entry = cjson.decode(stored)
if ARGV[2] ~= '' and entry.n ~= ARGV[2] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], entry.user, -1) <= 0 then
  redis.call('HDEL', KEYS[2], entry.user)
  return {stored, 1}
end
return {stored, 0}
`;

/** KEYS: nodes. ARGV: node id, TTL ms. Returns 1 if the node was still listed. */
const HEARTBEAT = `${NOW_MS}
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if known then return 1 end
return 0
`;

/** KEYS: nodes. ARGV: lease ms. Claims one node whose heartbeat (or an earlier claimer's lease, `~id`) ran out; returns its id. */
const CLAIM = `${NOW_MS}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #due == 0 then return false end
local id = due[1]
if string.sub(id, 1, 1) == '~' then id = string.sub(id, 2) end
redis.call('ZREM', KEYS[1], due[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), '~' .. id)
return id
`;

export interface RedisPresenceOptions {
  /** The engine's command connection. */
  redis: RedisConnection;
  /** The engine's key prefix. */
  prefix: string;
  /** `presence` or `occupancy`: one store's keys never meet the other's. */
  space: string;
  sweepIntervalMs: number;
}

export class RedisPresenceStore<E extends PresenceEntry = PresenceEntry> extends SharedPresenceStore<E> {
  readonly #redis: RedisConnection;
  readonly #options: RedisPresenceOptions;
  readonly #prefix: string;
  readonly #nodesKey: string;
  readonly #scripts: Record<'add' | 'remove' | 'heartbeat' | 'claim', Script>;

  constructor(options: RedisPresenceOptions) {
    super(options.sweepIntervalMs);
    this.#redis = options.redis;
    this.#options = options;
    this.#prefix = `${options.prefix}:${options.space}`;
    this.#nodesKey = `${this.#prefix}:nodes`;
    this.#scripts = {
      add: defineScript(options.redis, 'heraldPresenceAdd', ADD, 2),
      remove: defineScript(options.redis, 'heraldPresenceRemove', REMOVE, 2),
      heartbeat: defineScript(options.redis, 'heraldPresenceHeartbeat', HEARTBEAT, 1),
      claim: defineScript(options.redis, 'heraldPresenceClaim', CLAIM, 1),
    };
  }

  protected get reachable(): boolean {
    return this.#redis.status === 'ready';
  }

  protected async beat(node: string, ttlMs: number): Promise<boolean> {
    return (await this.#scripts.heartbeat(this.#nodesKey, node, ttlMs)) === 1;
  }

  protected async addEntry(node: string, channel: string, entry: E): Promise<boolean> {
    // Listed as the node's before it exists: a node dying in between leaves a listing without an entry, never the reverse.
    await this.#redis.sadd(this.#nodeKey(node), member(channel, entry.client));
    const entries = this.#entriesKey(channel);
    return (await this.#scripts.add(entries, `${entries}:users`, entry.client, entry.user, JSON.stringify({ ...entry, n: node }))) === 1;
  }

  protected async removeEntry(node: string, channel: string, client: string, onlyIfOwned: boolean): Promise<Removed<E> | undefined> {
    const entries = this.#entriesKey(channel);
    const removed = (await this.#scripts.remove(entries, `${entries}:users`, client, onlyIfOwned ? node : '')) as [string, number] | null;
    // A dead node's listing goes as a whole once its entries are removed. A stale member is
    // harmless (its cleanup finds nothing it owns), so a failed SREM does not fail the removal.
    if (!onlyIfOwned) await this.#redis.srem(this.#nodeKey(node), member(channel, client)).catch(() => {});
    return removed ? { entry: decode<E>(removed[0]), left: removed[1] === 1 } : undefined;
  }

  protected async claimDead(leaseMs: number): Promise<string | undefined> {
    return ((await this.#scripts.claim(this.#nodesKey, leaseMs)) as string | null) ?? undefined;
  }

  protected async removeNode(dead: string, onRemoved: (channel: string, removed: Removed<E>) => void): Promise<void> {
    const listing = this.#nodeKey(dead);
    let cursor = '0';
    do {
      const [next, members] = await this.#redis.sscan(listing, cursor, 'COUNT', 500);
      cursor = next;
      for (const m of members) {
        const [channel, client] = JSON.parse(m) as [string, string];
        const removed = await this.removeEntry(dead, channel, client, true);
        if (removed) onRemoved(channel, removed);
      }
    } while (cursor !== '0');
    await this.#redis.del(listing);
    await this.#redis.zrem(this.#nodesKey, `~${dead}`);
  }

  protected async unregister(node: string): Promise<void> {
    await Promise.all([this.#redis.zrem(this.#nodesKey, node), this.#redis.del(this.#nodeKey(node))]);
  }

  protected async readEntries(channel: string): Promise<E[]> {
    return (await this.#redis.hvals(this.#entriesKey(channel))).map(decode<E>);
  }

  // A channel's two keys share a {hash tag}, so the scripts stay in one slot on a Redis Cluster.
  #entriesKey(channel: string): string {
    return `${this.#options.prefix}:{${channel}}:${this.#options.space}`;
  }

  #nodeKey(node: string): string {
    return `${this.#prefix}:node:${node}`;
  }
}

const member = (channel: string, client: string) => JSON.stringify([channel, client]);

const decode = <E>(stored: string): E => withoutOwner(JSON.parse(stored) as Owned<E>);
