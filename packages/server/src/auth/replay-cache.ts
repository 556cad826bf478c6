/**
 * @module auth/replay-cache
 * Remembers signed-request nonces for as long as their timestamp is acceptable, so a captured
 * request is accepted once. An interface because several nodes must share one cache (through
 * their engine); the memory implementation serves a single node.
 */
export interface ReplayCache {
  /** True the first time `key` is claimed within `ttlMs`; false when it was already used. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  close(): void;
}

export class MemoryReplayCache implements ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 10_000) {
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const [key, expires] of this.#seen) if (expires <= now) this.#seen.delete(key);
    }, sweepIntervalMs).unref();
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const expires = this.#seen.get(key);
    if (expires !== undefined && expires > now) return false;
    this.#seen.set(key, now + ttlMs);
    return true;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
