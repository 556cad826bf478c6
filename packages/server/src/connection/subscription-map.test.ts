import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscriptionMap } from './subscription-map.js';

describe('SubscriptionMap', () => {
  it('behaves as a Map through one, several and no entries', () => {
    const map = new SubscriptionMap<number>();
    const ref = new Map<string, number>();
    const ops: Array<['set', string, number] | ['delete', string] | ['clear']> = [
      ['set', 'a', 1], ['set', 'a', 2], ['delete', 'b'], ['set', 'b', 3], ['set', 'c', 4], ['delete', 'a'], ['delete', 'a'],
      ['delete', 'b'], ['delete', 'c'], ['set', 'd', 5], ['clear'], ['set', 'e', 6], ['delete', 'e'], ['set', 'f', 7],
    ];
    for (const op of ops) {
      if (op[0] === 'set') {
        map.set(op[1], op[2]);
        ref.set(op[1], op[2]);
      } else if (op[0] === 'delete') assert.equal(map.delete(op[1]), ref.delete(op[1]), JSON.stringify(op));
      else {
        map.clear();
        ref.clear();
      }
      assert.equal(map.size, ref.size, JSON.stringify(op));
      assert.deepEqual(map.keys(), [...ref.keys()]);
      assert.deepEqual(map.values(), [...ref.values()]);
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
        assert.equal(map.has(key), ref.has(key), `${key} after ${JSON.stringify(op)}`);
        assert.equal(map.get(key), ref.get(key));
      }
    }
  });

  it('can be changed while its keys or values are walked', () => {
    const map = new SubscriptionMap<number>();
    map.set('a', 1);
    map.set('b', 2);
    for (const key of map.keys()) map.delete(key);
    assert.equal(map.size, 0);
  });
});
