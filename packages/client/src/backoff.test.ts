import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 5000, factor: 2 };
  it('stays within [0, min(max, initial·factor^attempt)] for every attempt', () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const bound = Math.min(5000, 100 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, opts, () => 0), 0);
      const top = backoffDelay(attempt, opts, () => 0.999999);
      assert.ok(top <= bound && top >= bound * 0.99, `attempt ${attempt}: ${top} vs ${bound}`);
    }
  });
  it('spreads clients out (jitter) rather than retrying in lockstep', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, opts)));
    assert.ok(delays.size > 25);
  });
});
