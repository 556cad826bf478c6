import assert from 'node:assert/strict';
import { it } from 'node:test';
import { trustedRawJson } from '../json/raw.js';
import { decodeBody, encodeBody } from './broker.js';

const at = { offset: 3, epoch: 'ep' };

it('a publication body carries data as its own text and reads back without parsing it', () => {
  const data = trustedRawJson('{"n":12345678901234567890,"x":1e400,"s":"\\u00e9"}');
  const body = encodeBody({ data, event: 'e"v', key: 'k', info: { user: 'u', client: 'c' }, echo: false });
  assert.equal(body, `{"event":"e\\"v","key":"k","info":{"user":"u","client":"c"},"echo":false,"data":${data}}`);
  assert.deepEqual({ ...decodeBody('ch', at, body) }, { channel: 'ch', ...at, data, event: 'e"v', key: 'k', info: { user: 'u', client: 'c' }, echo: false });
  assert.deepEqual({ ...decodeBody('ch', at, encodeBody({ data: trustedRawJson('-0') })) }, { channel: 'ch', ...at, data: '-0' });
});

it('reads bodies written by earlier versions (data first) and earlier versions can read new ones', () => {
  const legacy = JSON.stringify({ data: { a: [1, { b: null }] }, event: 'e', info: { user: 'u' } });
  assert.deepEqual({ ...decodeBody('ch', at, legacy) }, { channel: 'ch', ...at, data: '{"a":[1,{"b":null}]}', event: 'e', info: { user: 'u' } });
  assert.deepEqual(JSON.parse(encodeBody({ data: trustedRawJson('[1]'), event: 'e' })), { event: 'e', data: [1] });
});
