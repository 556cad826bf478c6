import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { SpreadMap, visitSpread } from './spread.js';

describe('visitSpread', () => {
  const rounds = (size: number, periods: number, change?: (map: SpreadMap<number, string>) => void) => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const map = new SpreadMap<number, string>();
      for (let i = 0; i < size; i++) map.set(i, `v${i}`);
      const perPeriod: number[][] = [];
      const perTick: number[] = [];
      const timer = visitSpread(map, 1000, (key, value) => {
        assert.equal(value, `v${key}`);
        perPeriod.at(-1)!.push(key);
        perTick[perTick.length - 1]!++;
      });
      for (let p = 0; p < periods; p++) {
        perPeriod.push([]);
        for (let t = 0; t < 10; t++) {
          perTick.push(0);
          mock.timers.tick(100);
          if (p === 0 && t === 3) change?.(map);
        }
      }
      clearInterval(timer);
      return { perPeriod: perPeriod.map((keys) => keys.sort((a, b) => a - b)), perTick };
    } finally {
      mock.timers.reset();
    }
  };

  for (const size of [1, 3, 11, 25]) {
    it(`visits each of ${size} entries exactly once per period, at most a tenth per tick`, () => {
      const { perPeriod, perTick } = rounds(size, 3);
      for (const keys of perPeriod) assert.deepEqual(keys, Array.from({ length: size }, (_, i) => i));
      assert.ok(perTick.every((n) => n <= Math.ceil(size / 10)));
    });
  }

  it('visits a key set twice once per period', () => {
    const { perPeriod } = rounds(3, 2, (map) => map.set(1, 'v1'));
    assert.deepEqual(perPeriod[1], [0, 1, 2]);
  });

  it('skips entries deleted during a round and reaches entries added', () => {
    const { perPeriod } = rounds(25, 2, (map) => {
      map.delete(24);
      map.set(99, 'v99');
    });
    const expected = [...Array.from({ length: 24 }, (_, i) => i), 99];
    assert.deepEqual(perPeriod[1], expected);
    assert.ok(!perPeriod[0]!.includes(24));
  });
});
