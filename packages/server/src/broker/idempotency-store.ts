/**
 * @module broker/idempotency-store
 * The state of `Idempotency-Key`s that every node shares through the engine (api/idempotency.ts
 * uses it; publish sources too): a key is claimed while its first attempt runs, then holds that
 * attempt's answer. Its contract, the value encoding every engine stores, and the process-local
 * version the cluster primary holds for its workers.
 */

/** How long a claim holds without an answer: a node that died mid-publish frees the key after this. */
export const CLAIM_TTL_MS = 30_000;

export type Claim = { state: 'claimed' } | { state: 'pending' } | { state: 'done'; result: string };

/** A key's state shared by every node: claimed while the first attempt runs, then its answer. */
export interface IdempotencyStore {
  /** Claim `id` for `claimTtlMs` (default `CLAIM_TTL_MS`) unless it is claimed (pending) or answered (done). */
  claim(id: string, claimTtlMs?: number): Promise<Claim>;
  /** Record the answer for `ttlMs`. */
  complete(id: string, result: string, ttlMs: number): Promise<void>;
  /** Forget a claim whose attempt failed; an answer recorded meanwhile (the publish went through, its reply was lost) stays. */
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
    if (this.#values.get(id)?.value.startsWith('d:') !== true) this.#values.delete(id); // an answer stays (see redis-lua.ts RELEASE_CLAIM)
  }

  /** Expired entries go when new ones come, so the map never outgrows the keys of one TTL. */
  #sweep(now: number): void {
    for (const [id, { expires }] of this.#values) {
      if (expires > now) break; // roughly in expiry order: inserted in time order
      this.#values.delete(id);
    }
  }
}
