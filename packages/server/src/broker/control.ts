/**
 * @module broker/control
 * What the control API (control/) shares through the engine, and the memory versions a single
 * node uses: a bus that carries commands to every node, records that expire (token revocations,
 * user blocks), and token buckets (per-user rate limits). Redis keeps them in broker/redis-control,
 * NATS in broker/nats-control, the primary of `--workers` in broker/ipc.
 *
 * Contract:
 * - `ControlBus.send` reaches the listener of every node sharing the engine, this one's included,
 *   at most once, in the order one node sent. Nothing is stored: a node that is down misses it
 *   (what must outlive that, blocks and revocations, is in the RecordStore as well).
 * - `RecordStore` entries are the same for every node and survive a node's restart; an entry past
 *   its expiry is never returned.
 * - `BucketStore.take` is atomic per key across nodes: at most `rate` tokens a second (bursts up to
 *   `rate`) are handed out in total, whichever nodes ask.
 */

export interface ControlBus {
  /** Deliver `message` to every node's listener (see the contract above). */
  send(message: string): Promise<void>;
  /** Receive every message sent from now on. */
  listen(onMessage: (message: string) => void): void;
}

export interface RecordStore {
  /** Keep `value` under `key` until `expiresAt` (ms since the epoch; undefined: until removed). */
  put(key: string, value: string, expiresAt?: number): Promise<void>;
  /** The values of `keys`, in order; undefined where absent or expired. */
  get(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Remove `key`; whether it was there. */
  remove(key: string): Promise<boolean>;
}

export interface BucketStore {
  /** Take one token from `key`'s bucket, which refills at `rate` per second up to `rate`; false when it is empty. */
  take(key: string, rate: number): Promise<boolean>;
}

/** A bucket as stored: tokens left at time `at` (ms). Absent = full. */
export interface BucketState {
  tokens: number;
  at: number;
}

/** Refill `state` up to `now`, then take one token if there is one. */
export function takeToken(state: BucketState | undefined, rate: number, now: number): { taken: boolean; state: BucketState } {
  const tokens = state ? Math.min(rate, state.tokens + (Math.max(0, now - state.at) * rate) / 1000) : rate;
  return tokens >= 1 ? { taken: true, state: { tokens: tokens - 1, at: now } } : { taken: false, state: { tokens, at: now } };
}

/** An idle bucket is full again after one second: it can be forgotten after that. */
export const BUCKET_IDLE_MS = 2_000;

/** One process: listeners are called on a later microtask, as a real round trip would. */
export class MemoryControlBus implements ControlBus {
  readonly #listeners: Array<(message: string) => void> = [];

  async send(message: string): Promise<void> {
    for (const listener of this.#listeners) queueMicrotask(() => listener(message));
  }

  listen(onMessage: (message: string) => void): void {
    this.#listeners.push(onMessage);
  }
}

export class MemoryRecordStore implements RecordStore {
  readonly #records = new Map<string, { value: string; expiresAt?: number }>();

  async put(key: string, value: string, expiresAt?: number): Promise<void> {
    this.#sweep();
    this.#records.set(key, expiresAt === undefined ? { value } : { value, expiresAt });
  }

  async get(keys: readonly string[]): Promise<Array<string | undefined>> {
    const now = Date.now();
    return keys.map((key) => {
      const record = this.#records.get(key);
      return record && (record.expiresAt === undefined || record.expiresAt > now) ? record.value : undefined;
    });
  }

  async remove(key: string): Promise<boolean> {
    const [value] = await this.get([key]);
    this.#records.delete(key);
    return value !== undefined;
  }

  /** Expired records go when new ones come: memory follows what is live. */
  #sweep(): void {
    const now = Date.now();
    for (const [key, record] of this.#records) if (record.expiresAt !== undefined && record.expiresAt <= now) this.#records.delete(key);
  }
}

/** Buckets idle past BUCKET_IDLE_MS are full again and are forgotten, so memory follows active users. */
export class MemoryBucketStore implements BucketStore {
  readonly #buckets = new Map<string, BucketState>();
  #swept = Date.now();

  async take(key: string, rate: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.#swept > BUCKET_IDLE_MS) {
      for (const [k, state] of this.#buckets) if (now - state.at > BUCKET_IDLE_MS) this.#buckets.delete(k);
      this.#swept = now;
    }
    const { taken, state } = takeToken(this.#buckets.get(key), rate, now);
    this.#buckets.set(key, state);
    return taken;
  }
}
