/**
 * @module api/idempotency
 * `Idempotency-Key` for publishes: a retried request (the first answer was lost to a timeout or
 * a dropped connection) gets the first request's answer instead of publishing twice, on whichever
 * node it lands. Keys live `ttlMs`; a key still in flight makes the retry wait for the first
 * attempt's outcome. Failed attempts are forgotten so they can be retried.
 *
 * Two levels: this node's in-flight and recent results (a retry to the same node waits on the same
 * promise), and, with an engine shared by several nodes, the engine's store, where the first
 * attempt claims the key, then records its answer.
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from '@herald/protocol';
import type { PublishOnce } from '../broker/broker.js';
import { HeraldError } from '../errors.js';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
/** How long a claim holds without an answer: a node that died mid-publish frees the key after this. */
export const CLAIM_TTL_MS = 30_000;
/** How long a retry waits for another node's attempt before answering 503 (retry later). */
const WAIT_MS = 10_000;
const POLL_MS = 50;
/** Attempts to record an answer, well within the claim's lifetime: one never recorded lets a retry publish again once the claim expires. */
const RECORD_ATTEMPTS = 5;

export type Claim = { state: 'claimed' } | { state: 'pending' } | { state: 'done'; result: string };

/** A key's state shared by every node: claimed while the first attempt runs, then its answer. */
export interface IdempotencyStore {
  /** Claim `id` for `claimTtlMs` (default `CLAIM_TTL_MS`) unless it is claimed (pending) or answered (done). */
  claim(id: string, claimTtlMs?: number): Promise<Claim>;
  /** Record the answer for `ttlMs`. */
  complete(id: string, result: string, ttlMs: number): Promise<void>;
  /** Forget a claim whose attempt failed. */
  release(id: string): Promise<void>;
}

/** The store's value: `p:<claim deadline ms>` while pending, `d:<answer JSON>` once answered. */
export const encodeClaim = (deadline: number) => `p:${deadline}`;
export const encodeResult = (result: string) => `d:${result}`;
export function decodeStored(value: string, now = Date.now()): Claim | undefined {
  if (value.startsWith('d:')) return { state: 'done', result: value.slice(2) };
  // An expired claim is as good as none (its node died mid-publish).
  return Number(value.slice(2)) > now ? { state: 'pending' } : undefined;
}

export class IdempotencyCache {
  readonly #entries = new Map<string, { result: Promise<unknown>; expires: number }>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    readonly ttlMs: number,
    readonly shared?: IdempotencyStore,
    /**
     * How long another node waits for a claim whose node died mid-publish. Publish sources, whose
     * redeliveries follow a crash within seconds, keep it just above the engine timeout (a publish
     * never outlives that); the HTTP API keeps CLAIM_TTL_MS.
     */
    readonly claimTtlMs = CLAIM_TTL_MS,
  ) {
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const [key, e] of this.#entries) if (e.expires <= now) this.#entries.delete(key);
    }, Math.min(ttlMs, 60_000)).unref();
  }

  /**
   * Run `work` once per key (scoped by route) within the TTL; without a key, just run it. With a
   * shared store, `work` is told the key's store id: a single publish passes it to the engine
   * (broker.ts `PublishOnce`), which records the answer atomically with the publish.
   */
  run<T>(key: string | undefined, scope: string, work: (once?: PublishOnce) => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    if (!KEY.test(key)) throw new HeraldError(ErrorCode.BadRequest, 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . : -');
    const id = `${scope} ${key}`;
    const existing = this.#entries.get(id);
    if (existing && existing.expires > Date.now()) return existing.result as Promise<T>;
    const result = this.shared ? this.#once(this.shared, createHash('sha256').update(id).digest('base64url'), work) : work();
    this.#entries.set(id, { result, expires: Date.now() + this.ttlMs });
    result.catch(() => this.#entries.delete(id));
    return result;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  /** Record a published answer, retrying in the background. */
  async #record(store: IdempotencyStore, id: string, result: string): Promise<void> {
    for (let attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
      try {
        return await store.complete(id, result, this.ttlMs);
      } catch {
        await new Promise((r) => setTimeout(r, CLAIM_TTL_MS / 10).unref());
      }
    }
  }

  async #once<T>(store: IdempotencyStore, id: string, work: (once: PublishOnce) => Promise<T>): Promise<T> {
    const deadline = Date.now() + Math.max(WAIT_MS, this.claimTtlMs + POLL_MS);
    for (;;) {
      const claim = await store.claim(id, this.claimTtlMs);
      if (claim.state === 'done') return JSON.parse(claim.result) as T;
      if (claim.state === 'claimed') {
        let result: T;
        try {
          result = await work({ id, ttlMs: this.ttlMs });
        } catch (err) {
          await store.release(id).catch(() => {});
          throw err;
        }
        void this.#record(store, id, JSON.stringify(result));
        return result;
      }
      if (Date.now() >= deadline) throw new HeraldError(ErrorCode.Unavailable, 'a request with this Idempotency-Key is still being handled by another node; retry later');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** A process-local store, held by the cluster primary for its workers (broker/ipc.ts). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #values = new Map<string, { value: string; expires: number }>();

  async claim(id: string, claimTtlMs = CLAIM_TTL_MS): Promise<Claim> {
    const now = Date.now();
    const stored = this.#values.get(id);
    const claim = stored && stored.expires > now ? decodeStored(stored.value, now) : undefined;
    if (claim) return claim;
    this.#sweep(now);
    this.#values.set(id, { value: encodeClaim(now + claimTtlMs), expires: now + claimTtlMs });
    return { state: 'claimed' };
  }

  async complete(id: string, result: string, ttlMs: number): Promise<void> {
    this.#values.delete(id); // re-inserted last: the map stays roughly in expiry order
    this.#values.set(id, { value: encodeResult(result), expires: Date.now() + ttlMs });
  }

  async release(id: string): Promise<void> {
    this.#values.delete(id);
  }

  /** Expired entries go when new ones come, so the map never outgrows the keys of one TTL. */
  #sweep(now: number): void {
    for (const [id, { expires }] of this.#values) {
      if (expires > now) break; // roughly in expiry order: inserted in time order
      this.#values.delete(id);
    }
  }
}
