import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signHook, verifyHook } from './signature.js';

const SECRET = 'signature-test-secret-0123';

describe('hook signatures', () => {
  it('signs t.id.body with HMAC-SHA256, as docs/hooks.md tells a backend to check', () => {
    const header = signHook(SECRET, 'req1', '{"a":1}', 1767225600);
    const expected = createHmac('sha256', SECRET).update('1767225600.req1.{"a":1}').digest('hex');
    assert.equal(header, `t=1767225600,id=req1,v1=${expected}`);
    assert.deepEqual(verifyHook(SECRET, header, '{"a":1}'), { timestamp: 1767225600, id: 'req1' });
  });

  it('refuses another body, another secret, a missing or malformed header', () => {
    const header = signHook(SECRET, 'req1', '{"a":1}');
    assert.equal(verifyHook(SECRET, header, '{"a":2}'), undefined);
    assert.equal(verifyHook('another-secret-0123456789', header, '{"a":1}'), undefined);
    assert.equal(verifyHook(SECRET, undefined, '{"a":1}'), undefined);
    assert.equal(verifyHook(SECRET, 't=1,id=x,v1=zz', '{"a":1}'), undefined);
    assert.equal(verifyHook(SECRET, header.replace('id=req1', 'id=req2'), '{"a":1}'), undefined, 'the id is covered');
  });
});
