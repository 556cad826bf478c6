import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mintTimeToken, verifyTimeToken } from './time-token.js';

const SECRET = 'your-time-token-secret';
const opts = { windowSeconds: 30, skewWindows: 1 };
const at = (window: number) => window * 30_000 + 5_000;

describe('time tokens (seed 000 format)', () => {
  it('matches the published test vector', () => {
    assert.equal(mintTimeToken(SECRET, opts, at(486000)), 'NDg2MDAwOkpZNWFwRGZpS2hNMkczdUtxZEx0UTdCdWJ5Zi0wTHh3TE9xanAtS21CaFk');
  });

  it('accepts the current window and ±skew, refuses beyond', () => {
    const token = mintTimeToken(SECRET, opts, at(486000));
    assert.equal(verifyTimeToken(token, [SECRET], opts, at(486000)), 'ok');
    assert.equal(verifyTimeToken(token, [SECRET], opts, at(486001)), 'ok');
    assert.equal(verifyTimeToken(token, [SECRET], opts, at(485999)), 'ok');
    assert.equal(verifyTimeToken(token, [SECRET], opts, at(486002)), 'expired');
    assert.equal(verifyTimeToken(token, [SECRET], { ...opts, skewWindows: 0 }, at(486001)), 'expired');
  });

  it('refuses tampering, wrong secrets and garbage', () => {
    const token = mintTimeToken(SECRET, opts, at(486000));
    const decoded = Buffer.from(token, 'base64url').toString();
    const tampered = Buffer.from(decoded.slice(0, -1) + (decoded.endsWith('A') ? 'B' : 'A')).toString('base64url');
    assert.equal(verifyTimeToken(tampered, [SECRET], opts, at(486000)), 'invalid');
    const otherWindow = Buffer.from(decoded.replace('486000', '486001')).toString('base64url');
    assert.equal(verifyTimeToken(otherWindow, [SECRET], opts, at(486001)), 'invalid', 'the mac is bound to its window');
    assert.equal(verifyTimeToken(token, ['another-secret-entirely'], opts, at(486000)), 'invalid');
    for (const junk of ['', '!!!not base64!!!', Buffer.from('486000').toString('base64url'), Buffer.from('abc:def').toString('base64url')]) {
      assert.equal(verifyTimeToken(junk, [SECRET], opts, at(486000)), 'malformed', junk);
    }
  });
});
