/**
 * @module stats/histogram
 * Latency histogram with fixed buckets, so every delivery is recorded (no sampling bias at the
 * tail) at constant cost and memory: 10 µs buckets up to 1 s, then 1 ms buckets up to 120 s.
 * Percentiles are therefore exact to the bucket width, which is far below what we report.
 */

const FINE_US = 10;
const FINE_BUCKETS = 100_000; // 0 .. 1 s
const COARSE_US = 1000;
const COARSE_BUCKETS = 119_000; // 1 s .. 120 s

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class Histogram {
  private readonly fine = new Uint32Array(FINE_BUCKETS);
  private readonly coarse = new Uint32Array(COARSE_BUCKETS);
  private overflow = 0;
  count = 0;
  private sum = 0;
  private minUs = Infinity;
  private maxUs = 0;

  /** Record one latency in microseconds (negative values, from clock skew, count as 0). */
  record(us: number): void {
    if (us < 0) us = 0;
    this.count++;
    this.sum += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
    const f = (us / FINE_US) | 0;
    if (f < FINE_BUCKETS) {
      this.fine[f]!++;
      return;
    }
    const c = ((us - FINE_BUCKETS * FINE_US) / COARSE_US) | 0;
    if (c < COARSE_BUCKETS) this.coarse[c]!++;
    else this.overflow++;
  }

  /** Upper edge of the bucket holding quantile q, in microseconds. */
  quantileUs(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < FINE_BUCKETS; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return Math.min((i + 1) * FINE_US, this.maxUs);
    }
    for (let i = 0; i < COARSE_BUCKETS; i++) {
      seen += this.coarse[i]!;
      if (seen >= rank) return Math.min(FINE_BUCKETS * FINE_US + (i + 1) * COARSE_US, this.maxUs);
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: this.count,
      min: this.count ? ms(this.minUs) : NaN,
      p50: ms(this.quantileUs(0.5)),
      p90: ms(this.quantileUs(0.9)),
      p99: ms(this.quantileUs(0.99)),
      p999: ms(this.quantileUs(0.999)),
      max: this.count ? ms(this.maxUs) : NaN,
      mean: this.count ? ms(this.sum / this.count) : NaN,
    };
  }
}
