import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSignatureHeader, signatureMatches, signRequest } from './signature.js';

const secret = 'example-signing-secret-0123456789abcdef';
const docs = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');

const vectors = [
  {
    input: { method: 'POST', target: '/api/publish', body: '{"channel":"orders:42","data":{"status":"paid"}}', keyId: 'main', secret, timestamp: 1767225600, nonce: 'b3f1c2d4e5f60718293a4b5c' },
    header: 'kid=main,ts=1767225600,nonce=b3f1c2d4e5f60718293a4b5c,sig=cAOVHAANvul4nA9kQbTud-tSzvqL-ToDMT9lLcyyowA',
  },
  {
    input: { method: 'GET', target: '/api/channels/orders%3A42/history?limit=10', body: '', keyId: 'main', secret, timestamp: 1767225600, nonce: '0123456789abcdef0123' },
    header: 'kid=main,ts=1767225600,nonce=0123456789abcdef0123,sig=_sp0-ZlN1mSm3GXtubx6z5L5AZ0aMW3v-kAovvEVQ4E',
  },
];

describe('signed requests', () => {
  for (const [i, v] of vectors.entries()) {
    it(`test vector ${i + 1} matches signRequest and docs/security.md`, () => {
      assert.equal(signRequest(v.input), v.header);
      assert.ok(docs.includes(v.header), 'the documented vector is the computed one');
    });
  }

  it('verifies only the exact method, target and body, with the right key', () => {
    const v = vectors[0]!;
    const parsed = parseSignatureHeader(v.header)!;
    const keys = new Map([['main', secret]]);
    assert.equal(signatureMatches(parsed, keys, 'POST', v.input.target, v.input.body), true);
    assert.equal(signatureMatches(parsed, keys, 'PUT', v.input.target, v.input.body), false);
    assert.equal(signatureMatches(parsed, keys, 'POST', '/api/broadcast', v.input.body), false);
    assert.equal(signatureMatches(parsed, keys, 'POST', v.input.target, v.input.body + ' '), false);
    assert.equal(signatureMatches(parsed, new Map([['main', 'x'.repeat(40)]]), 'POST', v.input.target, v.input.body), false);
    assert.equal(signatureMatches(parsed, new Map([['other', secret]]), 'POST', v.input.target, v.input.body), false);
  });

  it('parses only well-formed headers', () => {
    for (const bad of ['', 'kid=main', 'kid=main,ts=abc,nonce=0123456789abcdef,sig=' + 'a'.repeat(43), 'kid=main,ts=1,nonce=short,sig=' + 'a'.repeat(43), 'garbage']) {
      assert.equal(parseSignatureHeader(bad), undefined, bad);
    }
  });
});
