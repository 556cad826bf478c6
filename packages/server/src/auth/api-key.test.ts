import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiKeyMatcher } from './api-key.js';

describe('auth/api-key', () => {
  it('matches every configured key, every time, and nothing else, whatever was remembered', () => {
    const keys = ['first-key-0123456789abcdef', 'second-key-0123456789abcdef'];
    const matches = apiKeyMatcher(keys);
    for (let round = 0; round < 3; round++) {
      for (const key of keys) assert.equal(matches(key), true, `${key}, round ${round}`);
      for (const wrong of ['', 'first-key', 'first-key-0123456789abcdeF', 'first-key-0123456789abcdef ', 'second-key-0123456789abcdef0']) {
        assert.equal(matches(wrong), false, JSON.stringify(wrong));
      }
    }
  });

  it('a matcher with no keys matches nothing; refusals are never remembered as matches', () => {
    assert.equal(apiKeyMatcher([])('anything-0123456789'), false);
    const matches = apiKeyMatcher(['only-key-0123456789abcdef']);
    for (let i = 0; i < 200; i++) assert.equal(matches(`guess-${i}-0123456789abcdef`), false);
    assert.equal(matches('only-key-0123456789abcdef'), true);
  });
});
