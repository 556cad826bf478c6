import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { visitSpread } from './spread.js';

describe('visitSpread', () => {
  it('visits every entry once per period, a tenth per tick, following inserts and deletes', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const map = new Map(Array.from({ length: 25 }, (_, i) => [i, `v${i}`]));
      const ticks: number[][] = [];
      let current: number[] = [];
      const timer = visitSpread(map, 1000, (key, value) => {
        assert.equal(value, `v${key}`);
        current.push(key);
      });
      const tick = () => {
        mock.timers.tick(100);
        ticks.push(current);
        current = [];
      };
      for (let i = 0; i < 4; i++) tick();
      assert.ok(ticks.every((t) => t.length === 3), 'ceil(25 / 10) per tick');
      map.delete(20);
      map.set(99, 'v99');
      for (let i = 0; i < 5; i++) tick();
      const round = ticks.flat().slice(0, map.size);
      assert.deepEqual([...new Set(round)].sort((a, b) => a - b), [...map.keys()].sort((a, b) => a - b), 'the deleted entry skipped, the new one reached');
      assert.equal(round.length, new Set(round).size, 'nothing twice within one round');
      clearInterval(timer);
    } finally {
      mock.timers.reset();
    }
  });
});
