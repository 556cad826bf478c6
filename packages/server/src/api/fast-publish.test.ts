import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { API_KEY, startServer, type TestServer } from '../test/helpers.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown>;
}

/** A raw POST /api/publish (or `path`); `application/json` takes api/fast-publish, `application/json; charset=utf-8` Fastify's route. */
function post(server: TestServer, contentType: string, body: string | Buffer, headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }, path = '/api/publish'): Promise<Answer> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': contentType, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers an answer carries, but those that change with time or connection. */
const names = (headers: IncomingHttpHeaders) => Object.keys(headers).filter((h) => !['date', 'connection', 'keep-alive'].includes(h)).sort();

const CASES: Array<{ name: string; body: string | Buffer; headers?: Record<string, string>; path?: string }> = [
  { name: 'a publish', body: JSON.stringify({ channel: 'orders:1', event: 'e', key: 'k', data: { a: [1, 2] } }) },
  { name: 'no credentials', body: JSON.stringify({ channel: 'orders:1', data: 1 }), headers: {} },
  { name: 'a wrong API key', body: JSON.stringify({ channel: 'orders:1', data: 1 }), headers: { authorization: 'Bearer nope-nope-nope' } },
  { name: 'bad JSON', body: '{"channel":"orders:1","data":' },
  { name: 'bad JSON without credentials', body: '{"channel":', headers: {} },
  { name: 'bytes that are not UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) },
  { name: 'JSON nested too deep', body: JSON.stringify({ channel: 'orders:1', data: [[[[[[[[1]]]]]]]] }) },
  { name: 'prototype poisoning', body: '{"channel":"orders:1","data":{"__proto__":{"x":1}}}' },
  { name: 'an unknown field', body: JSON.stringify({ channel: 'orders:1', data: 1, extra: true }) },
  { name: 'no data and a number for a channel', body: JSON.stringify({ channel: 5 }) },
  { name: 'an invalid channel', body: JSON.stringify({ channel: 'bad channel', data: 1 }) },
  { name: 'an unknown channel', body: JSON.stringify({ channel: 'fixed:nope', data: 1 }) },
  { name: 'an internal channel', body: JSON.stringify({ channel: '_herald:x', data: 1 }) },
  { name: 'a bad Idempotency-Key', body: JSON.stringify({ channel: 'orders:1', data: 1 }), headers: { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'not a key!' } },
  { name: 'a batch', path: '/api/publish/batch', body: JSON.stringify({ publications: [{ channel: 'orders:b', data: { n: 1 } }, { channel: 'bad channel', data: 2 }, { channel: 'orders:b', event: 'e', data: [3] }] }) },
  { name: 'a batch without credentials', path: '/api/publish/batch', body: JSON.stringify({ publications: [{ channel: 'orders:b', data: 1 }] }), headers: {} },
  { name: 'an empty batch', path: '/api/publish/batch', body: JSON.stringify({ publications: [] }) },
  { name: 'a batch item with an unknown field', path: '/api/publish/batch', body: JSON.stringify({ publications: [{ channel: 'orders:b', data: 1, nope: 1 }] }) },
  { name: 'a batch nested too deep', path: '/api/publish/batch', body: JSON.stringify({ publications: [{ channel: 'orders:b', data: [[[[1]]]] }] }) },
];

describe('POST /api/publish and /api/publish/batch ahead of the router (api/fast-publish)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      limits: { max_json_depth: 6 },
      namespaces: { default: {}, orders: {}, fixed: { allow_create_new_channels: false, channels: ['only'] } },
    });
  });
  after(() => server.close());

  for (const c of CASES) {
    it(`answers ${c.name} as the Fastify route does`, async () => {
      const fast = await post(server, 'application/json', c.body, c.headers, c.path);
      const routed = await post(server, 'application/json; charset=utf-8', c.body, c.headers, c.path);
      assert.equal(fast.status, routed.status);
      assert.deepEqual(names(fast.headers), names(routed.headers));
      for (const h of ['content-type', 'cache-control', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'www-authenticate']) assert.equal(fast.headers[h], routed.headers[h], h);
      if (fast.status === 200 && c.path) {
        const results = (a: Answer) => (a.json.results as Array<Record<string, unknown>>).map((r) => [r.channel, r.error]);
        assert.deepEqual(results(fast), results(routed));
      } else if (fast.status === 200) {
        assert.equal(fast.json.channel, routed.json.channel);
        assert.equal(routed.json.offset, (fast.json.offset as number) + 1);
        assert.equal(fast.json.epoch, routed.json.epoch);
      } else {
        assert.deepEqual(fast.json, routed.json);
      }
    });
  }

  it('survives a publisher that hangs up halfway through its body', async () => {
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /api/publish HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"channel":"orders:1",`);
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const res = await post(server, 'application/json', JSON.stringify({ channel: 'orders:after', data: 1 }));
    assert.equal(res.status, 200);
  });

  it('publishes once per Idempotency-Key, whichever path the retry takes', async () => {
    const headers = { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'retry-1' };
    const body = JSON.stringify({ channel: 'orders:idem', data: 1 });
    const first = await post(server, 'application/json', body, headers);
    const again = await post(server, 'application/json', body, headers);
    assert.equal(first.status, 200);
    assert.deepEqual(again.json, first.json);
    const next = await post(server, 'application/json', JSON.stringify({ channel: 'orders:idem', data: 2 }));
    assert.equal(next.json.offset, (first.json.offset as number) + 1);
  });
});
