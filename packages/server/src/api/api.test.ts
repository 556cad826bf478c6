import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import { api, API_KEY, publish, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';

describe('HTTP publish API', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      limits: { max_body_bytes: 1024 },
      namespaces: { default: {}, orders: {}, fixed: { allow_create_new_channels: false, channels: ['only'] } },
    });
  });
  after(() => server.close());

  it('POST /api/publish returns the assigned position, offsets grow by one', async () => {
    const a = await publish(server, 'orders:7', { status: 'paid' });
    const b = await publish(server, 'orders:7', { status: 'shipped' });
    assert.equal(a.status, 200);
    assert.equal(a.json.channel, 'orders:7');
    assert.equal(b.json.offset, (a.json.offset as number) + 1);
    assert.equal(b.json.epoch, a.json.epoch);
  });

  it('POST /api/broadcast publishes to each channel and reports per-channel errors', async () => {
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('orders:b1');
    await c.subscribe('orders:b2');
    const res = await api(server, '/api/broadcast', { body: { channels: ['orders:b1', 'orders:b2', 'bad channel', 'fixed:nope'], event: 'ping', data: 42 } });
    assert.equal(res.status, 200);
    const results = res.json.results as Array<Record<string, unknown>>;
    assert.equal(results.length, 4);
    assert.equal(results[0]!.offset, 1);
    assert.equal((results[2]!.error as { code: string }).code, ErrorCode.InvalidChannel);
    assert.equal((results[3]!.error as { code: string }).code, ErrorCode.UnknownChannel);
    const msgs = await c.waitForMessages(2);
    assert.deepEqual(msgs.map((m) => [m.channel, m.event, m.data]).sort(), [['orders:b1', 'ping', 42], ['orders:b2', 'ping', 42]]);
    c.close();
  });

  it("accepts seed 002's POST /api/event {channel, event, payload}", async () => {
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('room1');
    const res = await api(server, '/api/event', { body: { channel: 'room1', event: 'user-message', payload: { text: 'hello from http' } } });
    assert.equal(res.status, 200);
    const [m] = await c.waitForMessages(1);
    assert.equal(m!.event, 'user-message');
    assert.deepEqual(m!.data, { text: 'hello from http' });
    c.close();
  });

  it('GET /api/channels lists channels with local subscriber counts', async () => {
    const a = await TestClient.connect(server.wsUrl);
    const b = await TestClient.connect(server.wsUrl);
    await a.subscribe('orders:listed');
    await b.subscribe('orders:listed');
    const res = await api(server, '/api/channels');
    const listed = (res.json.channels as Array<{ channel: string; subscribers: number }>).find((c) => c.channel === 'orders:listed');
    assert.deepEqual(listed, { channel: 'orders:listed', subscribers: 2 });
    a.close();
    b.close();
  });

  it('a retried publish with the same Idempotency-Key publishes once and gets the same answer', async () => {
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('orders:idem');
    const send = (key: string) => api(server, '/api/publish', { body: { channel: 'orders:idem', data: key }, headers: { 'idempotency-key': key } });
    const [a, b] = await Promise.all([send('retry-1'), send('retry-1')]);
    const again = await send('retry-1');
    const other = await send('retry-2');
    assert.deepEqual(b.json, a.json);
    assert.deepEqual(again.json, a.json);
    assert.equal(other.json.offset, (a.json.offset as number) + 1);
    await c.waitForMessages(2);
    await sleep(30);
    assert.deepEqual(c.messages().map((m) => m.data), ['retry-1', 'retry-2']);
    const bad = await api(server, '/api/publish', { body: { channel: 'orders:idem', data: 1 }, headers: { 'idempotency-key': 'has spaces' } });
    assert.equal(bad.status, 400);
    c.close();
  });

  it('serves the browser client bundle at /client.js to any origin', async () => {
    const res = await fetch(server.url + '/client.js', { headers: { origin: 'https://app.example.com' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const source = await res.text();
    assert.match(source, /export\s*\{[^}]*\bconnect\b/);
    assert.doesNotMatch(source, /require\(|from\s*["']ws["']|["']node:/, 'no Node-only imports in the browser build');
  });

  it('a channel name or user id longer than 100 characters works in the URL too', async () => {
    const channel = `long-${'c'.repeat(200)}`;
    assert.equal((await publish(server, channel, 1)).status, 200);
    const history = await api(server, `/api/channels/${channel}/history`);
    assert.deepEqual([history.status, history.json.publications], [200, [{ offset: 1, data: 1 }]]);
    const user = `google-oauth2|${'1'.repeat(150)}@example.com`;
    const connections = await api(server, `/api/users/${encodeURIComponent(user)}/connections`);
    assert.deepEqual([connections.status, connections.json.user], [200, user]);
  });

  it('health and readiness need no credentials', async () => {
    assert.equal((await api(server, '/healthz', { headers: { authorization: '' } })).status, 200);
    const ready = await api(server, '/readyz', { headers: { authorization: '' } });
    assert.equal(ready.status, 200);
    assert.equal(ready.json.status, 'ready');
  });
});

describe('bad input over HTTP', () => {
  let server: TestServer;
  let bystander: TestClient;
  before(async () => {
    server = await startServer({
      limits: { max_body_bytes: 1024 },
      namespaces: { default: {}, fixed: { allow_create_new_channels: false, channels: ['only'] } },
    });
    bystander = await TestClient.connect(server.wsUrl);
    await bystander.subscribe('bystander');
  });
  after(async () => {
    bystander.close();
    await server.close();
  });

  const json = { 'content-type': 'application/json' };
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const rows: Array<{ name: string; path?: string; method?: string; rawBody?: string | Buffer; headers?: Record<string, string>; status: number; code: string; message?: RegExp }> = [
    { name: 'malformed JSON', rawBody: '{"channel": "a",', headers: json, status: 400, code: ErrorCode.BadJson },
    { name: 'empty JSON body', rawBody: '', headers: json, status: 400, code: ErrorCode.BadJson },
    { name: 'missing data', rawBody: '{"channel":"a"}', headers: json, status: 400, code: ErrorCode.BadRequest },
    { name: 'missing channel', rawBody: '{"data":1}', headers: json, status: 400, code: ErrorCode.BadRequest },
    { name: 'unknown field', rawBody: '{"channel":"a","data":1,"chanel":"b"}', headers: json, status: 400, code: ErrorCode.BadRequest },
    { name: 'channel not a string', rawBody: '{"channel":5,"data":1}', headers: json, status: 400, code: ErrorCode.BadRequest },
    { name: 'invalid channel name', rawBody: '{"channel":"a b","data":1}', headers: json, status: 400, code: ErrorCode.InvalidChannel },
    { name: 'unknown namespace', rawBody: '{"channel":"zzz:a","data":1}', headers: json, status: 404, code: ErrorCode.UnknownChannel },
    { name: 'undeclared channel', rawBody: '{"channel":"fixed:x","data":1}', headers: json, status: 404, code: ErrorCode.UnknownChannel },
    { name: 'body over the limit', rawBody: JSON.stringify({ channel: 'a', data: 'x'.repeat(2000) }), headers: json, status: 413, code: ErrorCode.PayloadTooLarge },
    { name: 'wrong content type', rawBody: 'channel=a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: ErrorCode.UnsupportedMediaType },
    { name: 'text/plain', rawBody: '{"channel":"a","data":1}', headers: { 'content-type': 'text/plain' }, status: 415, code: ErrorCode.UnsupportedMediaType },
    { name: 'no credentials', rawBody: '{"channel":"a","data":1}', headers: { ...json, authorization: '' }, status: 401, code: ErrorCode.Unauthorized },
    { name: 'wrong API key', rawBody: '{"channel":"a","data":1}', headers: { ...json, authorization: 'Bearer wrong-key-wrong-key' }, status: 401, code: ErrorCode.Unauthorized },
    { name: 'malformed Authorization', rawBody: '{"channel":"a","data":1}', headers: { ...json, authorization: `Basic ${API_KEY}` }, status: 401, code: ErrorCode.Unauthorized },
    { name: 'unknown route', path: '/api/nothing', method: 'GET', status: 404, code: ErrorCode.NotFound },
    { name: 'history: since without epoch', path: '/api/channels/a/history?since=1', method: 'GET', status: 400, code: ErrorCode.BadRequest },
    { name: 'history: bad limit', path: '/api/channels/a/history?limit=0', method: 'GET', status: 400, code: ErrorCode.BadRequest },
    { name: 'history: invalid channel', path: '/api/channels/a%20b/history', method: 'GET', status: 400, code: ErrorCode.InvalidChannel },
    { name: 'a %-escape that is not UTF-8', path: '/api/channels/%FF/history', method: 'GET', status: 400, code: ErrorCode.BadRequest },
    { name: 'a path segment over any limit', path: `/api/channels/${'a'.repeat(4000)}/history`, method: 'GET', status: 400, code: ErrorCode.BadRequest },
    { name: 'invalid UTF-8 in the body', rawBody: bytes('{"channel":"a","data":"', [0xff, 0xfe], '"}'), headers: json, status: 400, code: ErrorCode.BadJson, message: /UTF-8/ },
    { name: 'UTF-8-encoded surrogate in the body', rawBody: bytes('{"channel":"a","data":"', [0xed, 0xa0, 0x80], '"}'), headers: json, status: 400, code: ErrorCode.BadJson, message: /UTF-8/ },
    { name: 'data nested deeper than max_json_depth', rawBody: `{"channel":"a","data":${deep(64)}}`, headers: json, status: 400, code: ErrorCode.BadRequest, message: /limits\.max_json_depth \(64 levels\)/ },
    { name: 'deep JSON even without credentials', rawBody: deep(500), headers: { ...json, authorization: '' }, status: 400, code: ErrorCode.BadRequest, message: /max_json_depth/ },
    { name: 'broadcast: empty channel list', path: '/api/broadcast', rawBody: '{"channels":[],"data":1}', headers: json, status: 400, code: ErrorCode.BadRequest },
  ];

  let published = 0;
  for (const row of rows) {
    it(`${row.name} → ${row.status} ${row.code}, others unaffected`, async () => {
      const res = await api(server, row.path ?? '/api/publish', { method: row.method ?? 'POST', rawBody: row.rawBody, headers: row.headers });
      assert.equal(res.status, row.status, JSON.stringify(res.json));
      assert.equal(res.json.error?.code, row.code);
      assert.ok((res.json.error?.message.length ?? 0) > 0);
      if (row.message) assert.match(res.json.error!.message, row.message);
      if (row.status === 401) assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      await publish(server, 'bystander', ++published);
      assert.equal((await bystander.waitForMessages(published)).at(-1)!.data, published);
    });
  }

  it('a body that lies about its length gets a clean 400, not a hang or a crash', async () => {
    const port = new URL(server.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/publish', method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'content-length': '5' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"channel":"a","data":1}');
    });
    assert.equal(status, 400);
    await publish(server, 'bystander', ++published);
    assert.equal((await bystander.waitForMessages(published)).at(-1)!.data, published);
  });
});

describe('browser-facing HTTP headers', () => {
  it('CORS answers only the configured origins; every answer carries the security headers', async () => {
    const server = await startServer({ server: { cors_origins: ['https://app.example.com'] } });
    try {
      const preflight = (origin: string) =>
        fetch(server.url + '/api/publish', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      assert.equal((await preflight('https://app.example.com')).headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin'), null);
      const res = await publish(server, 'x', 1);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('cache-control'), 'no-store');
    } finally {
      await server.close();
    }
  });

  it('without cors_origins, no CORS headers are sent', async () => {
    const server = await startServer();
    try {
      const res = await fetch(server.url + '/healthz', { headers: { origin: 'https://app.example.com' } });
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.close();
    }
  });
});
