/**
 * The client table: JWTs over real WebSockets, a real local JWKS server, permissions,
 * user-limited channels, subscription tokens and expiry while connected.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CloseCode, ErrorCode } from '@herald/protocol';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { capturingLogger, connectOutcome, leaks, publish, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';

const HS_SECRET = 'client-jwt-secret-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);

async function hs(claims: JWTPayload, secret = HS_SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('client authentication', () => {
  let server: TestServer;
  let jwks: Server;
  let jwksKeys: object[] = [];
  let jwksFetches = 0;
  let rsaPem = '';
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let kidA: Awaited<ReturnType<typeof generateKeyPair>>;
  let kidB: Awaited<ReturnType<typeof generateKeyPair>>;
  const captured = capturingLogger();
  const tokens: string[] = [];
  const remember = (t: string) => (tokens.push(t), t);

  before(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    rsaPem = await exportSPKI(rsa.publicKey);
    kidA = await generateKeyPair('ES256', { extractable: true });
    kidB = await generateKeyPair('ES256', { extractable: true });
    jwksKeys = [{ ...(await exportJWK(kidA.publicKey)), kid: 'A', alg: 'ES256' }];
    jwks = createServer((_req, res) => {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: jwksKeys }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
    server = await startServer(
      {
        auth: {
          failure_limit_per_minute: 1000,
          jwt: {
            algorithms: ['HS256', 'RS256', 'ES256'],
            secrets: [HS_SECRET],
            public_keys: [rsaPem],
            jwks_url: jwksUrl,
            jwks_cooldown_seconds: 0,
            audience: 'herald-test',
            leeway_seconds: 0,
            refresh_grace_seconds: 1,
          },
        },
        namespaces: {
          default: {},
          orders: {},
          admin: {},
          public: { allow_anonymous: true },
          notifications: {},
          secret: { private: true },
          chat: { allow_client_publish: true },
        },
        log: { level: 'trace' },
      },
      { logger: captured.logger },
    );
  });
  after(async () => {
    await server.close();
    jwks.close();
    const log = captured.lines.join('');
    for (const t of tokens) assert.ok(!leaks(log, t), 'a token leaked into the logs');
  });

  const base = () => ({ sub: 'u42', aud: 'herald-test', exp: now() + 600 });
  const url = (token: string) => `${server.wsUrl}?token=${encodeURIComponent(remember(token))}`;

  const connectTable: Array<{ name: string; token: () => Promise<string>; connected: boolean; code?: number }> = [
    { name: 'valid HS256', token: () => hs(base()), connected: true },
    { name: 'valid RS256 with a configured public key', token: () => new SignJWT(base()).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey), connected: true },
    { name: 'expired', token: () => hs({ ...base(), exp: now() - 60 }), connected: false, code: CloseCode.TokenExpired },
    { name: 'not yet valid', token: () => hs({ ...base(), nbf: now() + 600 }), connected: false, code: CloseCode.Unauthorized },
    { name: 'missing exp', token: () => hs({ sub: 'u42', aud: 'herald-test' }), connected: false, code: CloseCode.Unauthorized },
    { name: 'missing sub', token: () => hs({ aud: 'herald-test', exp: now() + 60 }), connected: false, code: CloseCode.Unauthorized },
    { name: 'alg none', token: async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(base())}.`, connected: false, code: CloseCode.Unauthorized },
    { name: 'algorithm not in the allowlist (HS512)', token: () => hs(base(), HS_SECRET, 'HS512'), connected: false, code: CloseCode.Unauthorized },
    { name: 'HS/RS confusion: RS public key used as the HMAC secret', token: () => hs(base(), rsaPem), connected: false, code: CloseCode.Unauthorized },
    { name: 'wrong secret', token: () => hs(base(), 'another-secret-another-secret-xx'), connected: false, code: CloseCode.Unauthorized },
    { name: 'wrong aud', token: () => hs({ ...base(), aud: 'someone-else' }), connected: false, code: CloseCode.Unauthorized },
    { name: 'garbage', token: async () => 'not.a.jwt', connected: false, code: CloseCode.Unauthorized },
  ];
  for (const row of connectTable) {
    it(`connect with ${row.name} → ${row.connected ? 'connected' : `close ${row.code}`}`, async () => {
      const outcome = await connectOutcome(url(await row.token()));
      assert.equal(outcome.connected, row.connected, JSON.stringify(outcome));
      if (!row.connected) assert.equal(outcome.code, row.code);
    });
  }

  it('a subscription token cannot authenticate a connection', async () => {
    const subToken = await hs({ ...base(), channel: 'secret:plans' });
    assert.equal((await connectOutcome(url(subToken))).code, CloseCode.Unauthorized);
  });

  it('a token valid for longer than setTimeout can count (30 days) is not expired at once', async () => {
    const c = await client({ exp: now() + 30 * 86_400 });
    await sleep(300);
    assert.ok(!c.frames.some((f) => f.type === 'refresh'));
    assert.equal(c.ws.readyState, c.ws.OPEN);
    c.close();
  });

  it('accepts the token in an Authorization header', async () => {
    const outcome = await connectOutcome(server.wsUrl, { authorization: `Bearer ${remember(await hs(base()))}` });
    assert.equal(outcome.connected, true);
  });

  it('unknown kid makes Herald refetch the JWKS, then the new key works', async () => {
    const a = await new SignJWT(base()).setProtectedHeader({ alg: 'ES256', kid: 'A' }).sign(kidA.privateKey);
    assert.equal((await connectOutcome(url(a))).connected, true);
    const before = jwksFetches;
    const b = await new SignJWT(base()).setProtectedHeader({ alg: 'ES256', kid: 'B' }).sign(kidB.privateKey);
    assert.equal((await connectOutcome(url(b))).code, CloseCode.Unauthorized, 'B is not published yet');
    jwksKeys = [...jwksKeys, { ...(await exportJWK(kidB.publicKey)), kid: 'B', alg: 'ES256' }];
    assert.equal((await connectOutcome(url(b))).connected, true);
    assert.ok(jwksFetches > before, 'the JWKS was fetched again for the unknown kid');
  });

  async function client(claims: JWTPayload = {}) {
    return TestClient.connect(url(await hs({ ...base(), ...claims })));
  }
  async function subscribeError(c: TestClient, channel: string, token?: string) {
    const reply = await c.request(token ? { type: 'subscribe', channel, token: remember(token) } : { type: 'subscribe', channel });
    return 'error' in reply ? reply.error.code : 'ok';
  }

  it('a permission claim allowing orders:* permits orders:42 but not admin:x', async () => {
    const c = await client({ herald: { subscribe: ['orders:*'] } });
    assert.equal(await subscribeError(c, 'orders:42'), 'ok');
    assert.equal(await subscribeError(c, 'admin:x'), ErrorCode.Forbidden);
    c.close();
  });

  it('without a permission claim, namespaces alone decide', async () => {
    const c = await client();
    assert.equal(await subscribeError(c, 'admin:x'), 'ok');
    c.close();
  });

  it('anonymous clients reach only namespaces that allow them', async () => {
    const anon = await TestClient.connect(server.wsUrl);
    assert.equal(await subscribeError(anon, 'public:news'), 'ok');
    assert.equal(await subscribeError(anon, 'orders:1'), ErrorCode.Forbidden);
    anon.close();
  });

  it('a user-limited channel admits its user only; one publish reaches all their tabs', async () => {
    const tab1 = await client({ sub: 'u42' });
    const tab2 = await client({ sub: 'u42' });
    const other = await client({ sub: 'u7' });
    const anon = await TestClient.connect(server.wsUrl);
    assert.equal(await subscribeError(tab1, 'notifications:inbox#u42'), 'ok');
    assert.equal(await subscribeError(tab2, 'notifications:inbox#u42'), 'ok');
    assert.equal(await subscribeError(other, 'notifications:inbox#u42'), ErrorCode.Forbidden);
    assert.equal(await subscribeError(anon, 'notifications:inbox#u42'), ErrorCode.Forbidden);
    await publish(server, 'notifications:inbox#u42', { text: 'hi' });
    await tab1.waitForMessages(1);
    await tab2.waitForMessages(1);
    for (const c of [tab1, tab2, other, anon]) c.close();
  });

  it('private channels need a subscription token for that channel (and that user)', async () => {
    const c = await client({ sub: 'u42' });
    assert.equal(await subscribeError(c, 'secret:plans'), ErrorCode.Forbidden);
    const wrongChannel = await hs({ channel: 'secret:other', exp: now() + 60, aud: 'herald-test' });
    assert.equal(await subscribeError(c, 'secret:plans', wrongChannel), ErrorCode.Forbidden);
    const wrongUser = await hs({ channel: 'secret:plans', sub: 'u7', exp: now() + 60, aud: 'herald-test' });
    assert.equal(await subscribeError(c, 'secret:plans', wrongUser), ErrorCode.Forbidden);
    const expired = await hs({ channel: 'secret:plans', exp: now() - 60, aud: 'herald-test' });
    assert.equal(await subscribeError(c, 'secret:plans', expired), ErrorCode.Unauthorized);
    const good = await hs({ channel: 'secret:plans', sub: 'u42', exp: now() + 60, aud: 'herald-test' });
    assert.equal(await subscribeError(c, 'secret:plans', good), 'ok');
    c.close();
  });

  it('a subscription token opens private channels only: it bypasses neither allow_anonymous nor the permission claim', async () => {
    const forChannel = (channel: string) => hs({ channel, exp: now() + 60, aud: 'herald-test' });
    const anon = await TestClient.connect(server.wsUrl);
    assert.equal(await subscribeError(anon, 'orders:7', await forChannel('orders:7')), ErrorCode.Forbidden, 'anonymous in a namespace without allow_anonymous');
    const limited = await client({ herald: { subscribe: ['orders:*'] } });
    assert.equal(await subscribeError(limited, 'admin:x', await forChannel('admin:x')), ErrorCode.Forbidden, 'a channel the permission claim does not list');
    // Where the ordinary rules allow, a valid token for the channel changes nothing; one for another channel is refused.
    assert.equal(await subscribeError(limited, 'orders:7', await forChannel('orders:7')), 'ok');
    assert.equal(await subscribeError(limited, 'orders:8', await forChannel('orders:9')), ErrorCode.Forbidden);
    anon.close();
    limited.close();
  });

  it('client publish honours the permission claim', async () => {
    const c = await client({ herald: { publish: ['chat:lobby'] } });
    const ok = await c.request({ type: 'publish', channel: 'chat:lobby', data: 'hi' });
    assert.ok('ok' in ok);
    const denied = await c.request({ type: 'publish', channel: 'chat:other', data: 'hi' });
    assert.equal('error' in denied && denied.error.code, ErrorCode.Forbidden);
    c.close();
  });

  it('an anonymous connection can authenticate with a first auth frame', async () => {
    const c = await TestClient.connect(server.wsUrl);
    assert.equal(await subscribeError(c, 'orders:9'), ErrorCode.Forbidden);
    const reply = await c.request({ type: 'auth', token: remember(await hs(base())) });
    assert.ok('ok' in reply && (reply.result as { user: string }).user === 'u42');
    assert.equal(await subscribeError(c, 'orders:9'), 'ok');
    const bad = await c.request({ type: 'auth', token: 'junk' });
    assert.equal('error' in bad && bad.error.code, ErrorCode.Unauthorized);
    const otherUser = await c.request({ type: 'auth', token: remember(await hs({ ...base(), sub: 'u7' })) });
    assert.equal('error' in otherUser && otherUser.error.code, ErrorCode.Forbidden);
    c.close();
  });

  it('expiry while connected: refresh within the grace period keeps the connection; no refresh closes it with 4004', async () => {
    const short = { exp: now() + 2 };
    const refresher = await client(short);
    const idle = await client(short);
    await refresher.subscribe('orders:live');
    await refresher.waitFor((f) => f.type === 'refresh', 5000);
    const reply = await refresher.request({ type: 'auth', token: remember(await hs({ ...base(), exp: now() + 600 })) });
    assert.ok('ok' in reply);
    const { code } = await idle.closed;
    assert.equal(code, CloseCode.TokenExpired);
    assert.ok(idle.frames.some((f) => f.type === 'refresh'), 'the idle client was asked to refresh first');
    await sleep(1200);
    assert.equal(refresher.ws.readyState, refresher.ws.OPEN);
    await publish(server, 'orders:live', 'still here');
    await refresher.waitForMessages(1);
    refresher.close();
  });

  it('SSE and long-poll apply the same rules before any stream starts', async () => {
    const limited = remember(await hs({ ...base(), herald: { subscribe: ['orders:*'] } }));
    for (const path of ['/sse', '/poll']) {
      const denied = await fetch(`${server.url}${path}?channel=admin:x&token=${limited}`);
      assert.equal(denied.status, 403, path);
      assert.equal(((await denied.json()) as { error: { code: string } }).error.code, ErrorCode.Forbidden);
      const anonymous = await fetch(`${server.url}${path}?channel=orders:1`);
      assert.equal(anonymous.status, 403, `${path} anonymous`);
      const expired = await fetch(`${server.url}${path}?channel=orders:1&token=${remember(await hs({ ...base(), exp: now() - 60 }))}`);
      assert.equal(expired.status, 401, `${path} expired`);
      assert.equal(((await expired.json()) as { error: { reason: string } }).error.reason, 'token_expired');
    }
    const ok = await fetch(`${server.url}/poll?channel=orders:1&token=${limited}`);
    assert.equal(ok.status, 200);
    assert.equal(typeof ((await ok.json()) as { cursor: unknown }).cursor, 'string');
  });

  it('an Origin outside server.allowed_origins is refused; no Origin (non-browser) is fine', async () => {
    const strict = await startServer({ server: { allowed_origins: ['https://app.example.com'] } });
    try {
      assert.equal((await connectOutcome(strict.wsUrl, { origin: 'https://evil.example.com' })).code, 403);
      assert.equal((await connectOutcome(strict.wsUrl, { origin: 'https://app.example.com' })).connected, true);
      assert.equal((await connectOutcome(strict.wsUrl)).connected, true);
    } finally {
      await strict.close();
    }
  });
});
