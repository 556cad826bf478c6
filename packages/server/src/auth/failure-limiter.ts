/**
 * @module auth/failure-limiter
 * Counts failed authentications per client address in fixed one-minute windows; past the
 * limit, that address is refused (429) until its window ends, which turns guessing secrets
 * into a slow, visible affair. Memory is bounded: the oldest addresses are forgotten first.
 *
 * With an engine shared by several nodes, each failure is also counted in the engine and the
 * node takes the cluster's count as its own, so spreading attempts over N nodes buys an
 * attacker at most one extra attempt per node, not N times the limit. The check itself stays
 * local (no engine round trip on the hot path of every token).
 */
const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 100_000;

/** A count per key shared by every node, in fixed windows starting at a key's first increment. */
export interface SharedCounter {
  /** Add one to `key`'s count in its current window of `windowMs`; the count after it. */
  increment(key: string, windowMs: number): Promise<number>;
}

/** Counts per key in fixed windows; the oldest keys are forgotten first past MAX_ADDRESSES. */
class Windows {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  /** The key's live window, if any. */
  get(key: string, now: number): { count: number; resetAt: number } | undefined {
    const w = this.#windows.get(key);
    if (w && w.resetAt <= now) this.#windows.delete(key);
    return w && w.resetAt > now ? w : undefined;
  }

  /** Count one more for `key`, opening a window of `windowMs` if none is live. */
  hit(key: string, now: number, windowMs: number): { count: number; resetAt: number } {
    let w = this.get(key, now);
    if (!w) {
      if (this.#windows.size >= MAX_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value!);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return w;
  }
}

export class FailureLimiter {
  readonly #windows = new Windows();
  /** `scope` keeps this limiter's keys apart from another's in the shared counter. */
  constructor(
    readonly limitPerMinute: number,
    readonly shared?: { counter: SharedCounter; scope: string },
  ) {}

  blocked(address: string, now = Date.now()): boolean {
    return (this.#windows.get(address, now)?.count ?? 0) >= this.limitPerMinute;
  }

  recordFailure(address: string, now = Date.now()): void {
    const window = this.#windows.hit(address, now, WINDOW_MS);
    this.shared?.counter.increment(`${this.shared.scope}:${address}`, WINDOW_MS).then(
      (total) => (window.count = Math.max(window.count, total)),
      () => {}, // the engine is down: the local count still holds
    );
  }
}

/** A process-local shared counter, held by the cluster primary for its workers (broker/ipc.ts). */
export class MemoryCounter implements SharedCounter {
  readonly #windows = new Windows();

  async increment(key: string, windowMs: number): Promise<number> {
    return this.#windows.hit(key, Date.now(), windowMs).count;
  }
}
