/**
 * @module broker/nats-control
 * The control API's shared state on NATS (contracts in broker/control): records in the key-value
 * bucket `<prefix>-control`, each holding its own expiry (NATS 2.9 has no per-key TTL), and token
 * buckets in `<prefix>-buckets` (max age = idle time: a bucket not touched for that long is full
 * anyway), changed by compare-and-set (nats-kv). The bus is the subject `<prefix>.control`, which
 * NatsBroker subscribes on its connection.
 */
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { ChannelQueue } from './channel-queue.js';
import { takeToken, type BucketState, type BucketStore, type RecordStore } from './control.js';
import { mutateKey, readKey } from './nats-kv.js';

/** Opens a bucket and runs a call on it, turning failures into the engine's `unavailable` error. */
export type KvCall = <T>(call: (kv: KV) => Promise<T>) => Promise<T>;

/** Keys allow only [-/_=.a-zA-Z0-9]: user ids and token ids may hold anything. */
const kvKey = (key: string) => createHash('sha256').update(key).digest('base64url');

interface Stored {
  v: string;
  exp?: number;
}

export function natsRecordStore(call: KvCall): RecordStore {
  const live = (stored: Stored | undefined) => (stored && (stored.exp === undefined || stored.exp > Date.now()) ? stored.v : undefined);
  return {
    put: (key, value, expiresAt) => call(async (kv) => void (await kv.put(kvKey(key), JSON.stringify(expiresAt === undefined ? { v: value } : { v: value, exp: expiresAt })))),
    get: (keys) => call((kv) => Promise.all(keys.map(async (key) => live((await readKey<Stored>(kv, kvKey(key)))?.value)))),
    remove: (key) =>
      call(async (kv) => {
        const existing = live((await readKey<Stored>(kv, kvKey(key)))?.value);
        await kv.delete(kvKey(key));
        return existing !== undefined;
      }),
  };
}

export function natsBucketStore(call: KvCall): BucketStore {
  // One take per key at a time from this node: compare-and-set then only ever loses to another node.
  const queue = new ChannelQueue();
  return {
    take: (key, rate) =>
      queue.run(key, () =>
        call((kv) =>
        mutateKey<BucketState, boolean>(kv, kvKey(key), (state) => {
          const next = takeToken(state, rate, Date.now());
            return { write: next.state, result: next.taken };
          }),
        ),
      ),
  };
}
