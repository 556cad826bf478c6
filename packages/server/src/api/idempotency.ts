/**
 * @module api/idempotency
 * `Idempotency-Key` for publishes: a retried request (the first answer was lost to a timeout or
 * a dropped connection) gets the first request's answer instead of publishing twice. Keys live
 * `ttlMs`; a key still in flight makes the retry wait for the first attempt's outcome. Failed
 * attempts are forgotten so they can be retried.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

export class IdempotencyCache {
  readonly #entries = new Map<string, { result: Promise<unknown>; expires: number }>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(readonly ttlMs: number) {
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const [key, e] of this.#entries) if (e.expires <= now) this.#entries.delete(key);
    }, Math.min(ttlMs, 60_000)).unref();
  }

  /** Run `work` once per key (scoped by route) within the TTL; without a key, just run it. */
  run<T>(key: string | undefined, scope: string, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    if (!KEY.test(key)) throw new HeraldError(ErrorCode.BadRequest, 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 _ . : -');
    const id = `${scope} ${key}`;
    const existing = this.#entries.get(id);
    if (existing && existing.expires > Date.now()) return existing.result as Promise<T>;
    const result = work();
    this.#entries.set(id, { result, expires: Date.now() + this.ttlMs });
    result.catch(() => this.#entries.delete(id));
    return result;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
