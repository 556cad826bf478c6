/**
 * Pusher's published signature vectors (key 278d425bdf160c739803, secret 7ad3773142a6692b25b8,
 * socket 1234.1234), the presence one corrected as the reference explains, and the HTTP API
 * worked example.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authMatches, channelAuthText, hmacHex, md5Hex, queryParams, requestSigningText, safeEqual, userAuthText } from './signature.js';

const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };

describe('pusher signatures', () => {
  it('match the documented vectors', () => {
    assert.equal(hmacHex(app.secret, channelAuthText('1234.1234', 'private-foobar')), '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4');
    assert.equal(hmacHex(app.secret, userAuthText('1234.1234', '{"id":"12345"}')), '4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba');
    const presence = channelAuthText('1234.1234', 'presence-foobar', '{"user_id":10,"user_info":{"name":"Mr. Channels"}}');
    assert.equal(hmacHex(app.secret, presence), '31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80');
    assert.ok(authMatches(app, `${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`, '1234.1234:private-foobar'));
    assert.ok(!authMatches(app, `${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a5`, '1234.1234:private-foobar'));
    assert.ok(!authMatches(app, `other:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`, '1234.1234:private-foobar'));
    assert.ok(!authMatches(app, undefined, '1234.1234:private-foobar'));
  });

  it('sign HTTP API requests as the worked example', () => {
    const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
    assert.equal(md5Hex(body), 'ec365a775a4cd0599faeb73354201b6f');
    const params = queryParams(`auth_key=${app.key}&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=x`);
    assert.equal(hmacHex(app.secret, requestSigningText('POST', '/apps/3/events', params)), 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c');
  });

  it('compare in constant time without confusing lengths', () => {
    assert.ok(safeEqual('abc', 'abc'));
    assert.ok(!safeEqual('abc', 'abcd'));
    assert.ok(!safeEqual('', 'a'));
  });
});
