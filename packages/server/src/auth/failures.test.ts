/**
 * Failed client authentications over real WebSockets: connect tokens, `auth` frames and
 * subscription tokens all count toward one per-address limit and the metric.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode, ErrorCode } from '@herald/protocol';
import { connectOutcome, publish, signJwt, startServer, TestClient, type TestServer } from '../test/helpers.js';

const SECRET = 'client-jwt-secret-0123456789abcdef';
const LIMIT = 4;

async function authFailures(server: TestServer): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^herald_auth_failures_total\{kind="client",reason="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

const errorCode = (reply: Awaited<ReturnType<TestClient['request']>>) => ('error' in reply ? reply.error.code : 'ok');

describe('failed-authentication limits', () => {
  it('bad client tokens do not lock out publishers from the same address', async () => {
    const server = await startServer({ auth: { failure_limit_per_minute: 3, jwt: { secrets: [SECRET] } } });
    try {
      for (let i = 0; i < 5; i++) await connectOutcome(`${server.wsUrl}?token=garbage`);
      assert.equal((await publish(server, 'news', 1)).status, 200);
      const blocked = await connectOutcome(`${server.wsUrl}?token=garbage`);
      assert.equal(blocked.code, 429, 'the client side is limited on its own');
    } finally {
      await server.close();
    }
  });

  it('guessing in auth frames and subscription tokens hits the limit: the connection closes 4029, new attempts get 429', async () => {
    const server = await startServer({
      auth: { failure_limit_per_minute: LIMIT, jwt: { secrets: [SECRET] } },
      namespaces: { default: {}, secret: { private: true } },
    });
    try {
      const good = await signJwt(SECRET, 'u1');
      // Opened before the guessing: its correct token comes too late.
      const bystander = await TestClient.connect(server.wsUrl);
      const guesser = await TestClient.connect(server.wsUrl);
      const attempts = [
        { type: 'auth', token: 'junk' },
        { type: 'auth', token: await signJwt('not-the-secret-not-the-secret-xx', 'u1') },
        { type: 'subscribe', channel: 'secret:plans', token: 'junk' },
        // Validly signed, but for another channel: refused, so counted.
        { type: 'subscribe', channel: 'secret:plans', token: await signJwt(SECRET, 'u1', { channel: 'secret:other' }) },
      ];
      const codes = [];
      for (const [i, attempt] of attempts.entries()) {
        codes.push(errorCode(await guesser.request(attempt)));
        if (i < LIMIT - 1) assert.equal(guesser.ws.readyState, guesser.ws.OPEN, `still open after failure ${i + 1}`);
      }
      assert.deepEqual(codes, [ErrorCode.Unauthorized, ErrorCode.Unauthorized, ErrorCode.Unauthorized, ErrorCode.Forbidden]);
      assert.equal((await guesser.closed).code, CloseCode.RateLimited);

      assert.equal((await connectOutcome(`${server.wsUrl}?token=${good}`)).code, 429, 'a new connect with a token is refused');
      assert.equal(errorCode(await bystander.request({ type: 'auth', token: good })), ErrorCode.RateLimited);
      assert.equal((await bystander.closed).code, CloseCode.RateLimited);

      assert.deepEqual(await authFailures(server), { invalid_token: 3, forbidden: 1, rate_limited: 2 });
    } finally {
      await server.close();
    }
  });
});
