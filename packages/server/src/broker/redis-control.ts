/**
 * @module broker/redis-control
 * The control API's shared state on Redis (contracts in broker/control): records are plain keys
 * `<prefix>:ctl:<key>` with a millisecond expiry, buckets are hashes `<prefix>:bucket:<key>`
 * changed by one script (redis-lua TAKE, on Redis's clock). The bus is a pub/sub channel that
 * RedisBroker subscribes with its heartbeat (`<prefix>:control`).
 */
import { BUCKET_IDLE_MS, type BucketStore, type RecordStore } from './control.js';
import type { RedisConnection } from './redis-connection.js';
import { defineScript, TAKE } from './redis-lua.js';

/** Runs a command, turning any failure into the engine's `unavailable` error. */
export type RedisCall = <T>(command: () => Promise<T>) => Promise<T>;

export function redisRecordStore(redis: RedisConnection, prefix: string, call: RedisCall): RecordStore {
  const key = (k: string) => `${prefix}:ctl:${k}`;
  return {
    async put(k, value, expiresAt) {
      if (expiresAt === undefined) await call(() => redis.set(key(k), value));
      else await call(() => redis.set(key(k), value, 'PX', Math.max(1, expiresAt - Date.now())));
    },
    // One GET per key: on a Redis Cluster the keys live in different slots, where MGET fails.
    get: (keys) => Promise.all(keys.map(async (k) => (await call(() => redis.get(key(k)))) ?? undefined)),
    remove: async (k) => (await call(() => redis.del(key(k)))) > 0,
  };
}

export function redisBucketStore(redis: RedisConnection, prefix: string, call: RedisCall): BucketStore {
  const take = defineScript(redis, 'heraldTake', TAKE, 1);
  return { take: async (k, rate) => Number(await call(() => take(`${prefix}:bucket:${k}`, rate, BUCKET_IDLE_MS))) === 1 };
}
