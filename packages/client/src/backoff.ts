/**
 * @module backoff
 * Reconnect delays: exponential growth with "full jitter" (a random delay between 0 and the
 * exponential bound), so a node restart does not bring every client back in the same instant.
 */
export interface BackoffOptions {
  /** Bound of the first retry, in ms. */
  initialMs: number;
  /** Largest delay ever used, in ms. */
  maxMs: number;
  /** Growth of the bound per attempt. */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 15_000, factor: 2 };

/** Delay before retry number `attempt` (0-based); always within [0, min(maxMs, initialMs·factor^attempt)]. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const bound = Math.min(options.maxMs, options.initialMs * options.factor ** Math.min(attempt, 64));
  return Math.floor(random() * bound);
}
