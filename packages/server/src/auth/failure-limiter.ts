/**
 * @module auth/failure-limiter
 * Counts failed authentications per client address in fixed one-minute windows; past the
 * limit, that address is refused (429) until its window ends, which turns guessing secrets
 * into a slow, visible affair. Memory is bounded: the oldest addresses are forgotten first.
 */
const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 100_000;

export class FailureLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  constructor(readonly limitPerMinute: number) {}

  blocked(address: string, now = Date.now()): boolean {
    const w = this.#windows.get(address);
    if (!w) return false;
    if (w.resetAt <= now) {
      this.#windows.delete(address);
      return false;
    }
    return w.count >= this.limitPerMinute;
  }

  recordFailure(address: string, now = Date.now()): void {
    let w = this.#windows.get(address);
    if (!w || w.resetAt <= now) {
      this.#windows.delete(address);
      if (this.#windows.size >= MAX_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value!);
      w = { count: 0, resetAt: now + WINDOW_MS };
      this.#windows.set(address, w);
    }
    w.count++;
  }
}
