import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signHookAnswer, verifyHookRequest } from '@herald/publisher';
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

  it("the backend SDK verifies Herald's requests (MAC and clock) and signs answers Herald accepts", () => {
    const header = signHook(SECRET, 'req9', '{"x":1}', 1767225600);
    assert.deepEqual(verifyHookRequest(SECRET, header, '{"x":1}', { now: 1767225630 }), { id: 'req9', timestamp: 1767225600 });
    assert.equal(verifyHookRequest(SECRET, header, '{"x":1}', { now: 1767225700 }), undefined, 'older than the tolerance');
    assert.equal(verifyHookRequest(SECRET, header, '{"x":2}', { now: 1767225600 }), undefined);
    const answer = signHookAnswer(SECRET, 'req9', '{"result":{}}');
    assert.equal(verifyHook(SECRET, answer, '{"result":{}}')?.id, 'req9');
  });
});
