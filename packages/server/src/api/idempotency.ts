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
import { CLAIM_TTL_MS, type IdempotencyStore } from '../broker/idempotency-store.js';
import { HeraldError } from '../errors.js';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
/** How long a retry waits for another node's attempt before answering 503 (retry later). */
const WAIT_MS = 10_000;
const POLL_MS = 50;
/** Attempts to record an answer, well within the claim's lifetime: one never recorded lets a retry publish again once the claim expires. */
const RECORD_ATTEMPTS = 5;

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
