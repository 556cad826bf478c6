/**
 * @module connection/rate-limit
 * Token bucket: `rate` tokens per second, bursts up to `rate`.
 */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();
  constructor(readonly rate: number) {
    this.#tokens = rate;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
