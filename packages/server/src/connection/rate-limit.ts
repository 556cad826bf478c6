/**
 * @module connection/rate-limit
 * Token bucket: `rate` tokens per second, bursts up to `burst` (default `rate`).
 */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();
  constructor(
    readonly rate: number,
    readonly burst = rate,
  ) {
    this.#tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
