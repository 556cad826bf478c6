/**
 * The publisher table: every scheme, every way to get it wrong, over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import { capturingLogger, leaks, rawRequest, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { signRequest } from './signature.js';
import { mintTimeToken } from './time-token.js';

const OLD_SECRET = 'old-time-token-secret-0001';
const NEW_SECRET = 'new-time-token-secret-0002';
const SIGNING = { main: 'main-signing-secret-0123456789abcdef', next: 'next-signing-secret-0123456789abcdef' };
const W = 30;

async function post(server: TestServer, target: string, body: string, headers: Record<string, string>) {
  const res = await fetch(server.url + target, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, json: (await res.json()) as { error?: { code: string; reason?: string; message: string }; offset?: number } };
}

const body = JSON.stringify({ channel: 'orders:1', data: { n: 1 } });
const signed = (overrides: Partial<Parameters<typeof signRequest>[0]> = {}) =>
  signRequest({ method: 'POST', target: '/api/publish', body, keyId: 'main', secret: SIGNING.main, ...overrides });

describe('publisher authentication', () => {
  let server: TestServer;
  const captured = capturingLogger();
  const used: string[] = [];
  before(async () => {
    server = await startServer(
      {
        auth: { api_keys: [], signing_keys: SIGNING, time_token: { secrets: [OLD_SECRET, NEW_SECRET], window_seconds: W, skew_windows: 1 }, failure_limit_per_minute: 1000 },
        namespaces: { default: {}, orders: {} },
        log: { level: 'trace' },
      },
      { logger: captured.logger },
    );
  });
  after(async () => {
    await server.close();
    // Nothing that authenticates a request may reach the logs, not even as raw bytes.
    const log = captured.lines.join('');
    for (const secret of [...used, OLD_SECRET, NEW_SECRET, SIGNING.main, SIGNING.next]) assert.ok(!leaks(log, secret), 'a credential leaked into the logs');
  });

  const timeToken = (secret: string, windowsFromNow = 0) => {
    const token = mintTimeToken(secret, { windowSeconds: W }, Date.now() + windowsFromNow * W * 1000);
    used.push(token);
    return { 'x-api-token': token };
  };
  const sig = (header: string) => {
    used.push(header);
    return { 'x-herald-signature': header };
  };

  const table: Array<{ name: string; target?: string; body?: string; headers: () => Record<string, string>; status: number; reason?: string }> = [
    { name: 'time token, current window', headers: () => timeToken(NEW_SECRET), status: 200 },
    { name: 'time token, previous window within skew', headers: () => timeToken(NEW_SECRET, -1), status: 200 },
    { name: 'time token, next window within skew', headers: () => timeToken(NEW_SECRET, 1), status: 200 },
    { name: 'time token, outside skew', headers: () => timeToken(NEW_SECRET, -3), status: 401, reason: 'expired_credentials' },
    {
      name: 'time token, tampered mac',
      headers: () => {
        const raw = Buffer.from(timeToken(NEW_SECRET)['x-api-token'], 'base64url').toString();
        return { 'x-api-token': Buffer.from(raw.slice(0, -2) + (raw.endsWith('AA') ? 'BB' : 'AA')).toString('base64url') };
      },
      status: 401,
      reason: 'invalid_credentials',
    },
    { name: 'time token, wrong secret', headers: () => timeToken('not-the-right-secret-at-all'), status: 401, reason: 'invalid_credentials' },
    { name: 'time token, malformed base64', headers: () => ({ 'x-api-token': '%%%definitely not a token%%%' }), status: 401, reason: 'malformed_credentials' },
    { name: 'time token, rotated: old secret still valid', headers: () => timeToken(OLD_SECRET), status: 200 },
    { name: 'signed request', headers: () => sig(signed()), status: 200 },
    { name: 'signed request with the second (rotated-in) key', headers: () => sig(signed({ keyId: 'next', secret: SIGNING.next })), status: 200 },
    { name: 'signed request, body altered', body: body.replace('"n":1', '"n":2'), headers: () => sig(signed()), status: 401, reason: 'invalid_credentials' },
    { name: 'signed request, path altered', target: '/api/event', headers: () => sig(signed()), status: 401, reason: 'invalid_credentials' },
    { name: 'signed request, unknown key id (same answer as a bad signature)', headers: () => sig(signed({ keyId: 'ghost' })), status: 401, reason: 'invalid_credentials' },
    { name: 'signed request, stale timestamp', headers: () => sig(signed({ timestamp: Math.floor(Date.now() / 1000) - 120 })), status: 401, reason: 'expired_credentials' },
    { name: 'signed request, malformed header', headers: () => ({ 'x-herald-signature': 'kid=main,sig=nope' }), status: 401, reason: 'malformed_credentials' },
    { name: 'no credentials', headers: () => ({}), status: 401, reason: 'missing_credentials' },
    { name: 'API key not configured here', headers: () => ({ authorization: 'Bearer some-key-that-is-long-enough' }), status: 401, reason: 'invalid_credentials' },
  ];

  for (const row of table) {
    it(`${row.name} → ${row.status}${row.reason ? ` ${row.reason}` : ''}`, async () => {
      const res = await post(server, row.target ?? '/api/publish', row.body ?? body, row.headers());
      assert.equal(res.status, row.status, JSON.stringify(res.json));
      if (row.reason) {
        assert.equal(res.json.error?.code, ErrorCode.Unauthorized);
        assert.equal(res.json.error?.reason, row.reason);
        for (const secret of [OLD_SECRET, NEW_SECRET, 'main', 'next']) assert.ok(!res.json.error!.message.includes(secret));
      }
    });
  }

  it('a request the HTTP parser refuses is answered 400, and its credentials stay out of the logs', async () => {
    const credentials = { query: 'query-token-0123456789', bearer: 'bearer-key-0123456789', apiToken: timeToken(NEW_SECRET)['x-api-token'], signature: sig(signed())['x-herald-signature'] };
    used.push(credentials.query, credentials.bearer);
    const before = captured.lines.length;
    const answer = await rawRequest(
      server.url,
      `POST /api/publish?token=${credentials.query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${credentials.bearer}\r\nX-API-Token: ${credentials.apiToken}\r\nX-Herald-Signature: ${credentials.signature}\r\nnot a header line\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"code":"bad_request"/);
    // The refusal is logged (so the check below looks at a line that exists), without the request.
    assert.ok(captured.lines.slice(before).some((line) => line.includes('HPE_INVALID_HEADER_TOKEN')), 'the refusal was not logged');
  });

  it('a replayed signed request is refused the second time', async () => {
    const header = sig(signed());
    assert.equal((await post(server, '/api/publish', body, header)).status, 200);
    const again = await post(server, '/api/publish', body, header);
    assert.equal(again.status, 401);
    assert.equal(again.json.error?.reason, 'replayed_request');
  });

  it("seed 000's backend simulator request shape publishes end to end", async () => {
    const client = await TestClient.connect(server.wsUrl);
    await client.subscribe('orders:sim');
    await client.subscribe('updates');
    const payload = JSON.stringify({ type: 'order.created', id: 42 });
    const withChannel = await post(server, '/update?channel=orders:sim', payload, timeToken(NEW_SECRET));
    assert.equal(withChannel.status, 200, JSON.stringify(withChannel.json));
    const viaPublish = await post(server, '/publish?channel=orders:sim', payload, timeToken(NEW_SECRET));
    assert.equal(viaPublish.status, 200);
    const noChannel = await post(server, '/update', payload, timeToken(NEW_SECRET));
    assert.equal(noChannel.status, 200);
    const sim = await client.waitForMessages(2, 'orders:sim');
    assert.deepEqual(sim.map((m) => m.data), [{ type: 'order.created', id: 42 }, { type: 'order.created', id: 42 }]);
    assert.deepEqual((await client.waitForMessages(1, 'updates'))[0]!.data, { type: 'order.created', id: 42 });
    client.close();
  });
});

describe('failed-authentication limit', () => {
  it('after too many failures one address gets 429, even with good credentials, and others keep working', async () => {
    const server = await startServer({ auth: { api_keys: ['good-key-0123456789'], failure_limit_per_minute: 3 } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await post(server, '/api/publish', body, { authorization: 'Bearer wrong-key-0123456789' })).status, 401);
      const blocked = await post(server, '/api/publish', body, { authorization: 'Bearer good-key-0123456789' });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.json.error?.code, ErrorCode.RateLimited);
      // The limit is per address: WebSocket clients on the same node are unaffected.
      const c = await TestClient.connect(server.wsUrl);
      await c.subscribe('still-fine');
      c.close();
    } finally {
      await server.close();
    }
  });
});
