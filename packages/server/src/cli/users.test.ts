/**
 * `herald users …` as a real process against a real node: the backend SDK's control calls end to end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { API_KEY, childEnv, connectOutcome, signJwt, startServer, TestClient, type TestServer } from '../test/helpers.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const JWT_SECRET = 'cli-users-jwt-secret-0123456789abcdef';

describe('herald users', () => {
  let server: TestServer;
  const herald = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'users', ...args], { env: childEnv({ HERALD_URL: server.url, HERALD_API_KEY: API_KEY }), timeout: 10_000 });
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  before(async () => {
    server = await startServer({ auth: { jwt: { secrets: [JWT_SECRET] } }, namespaces: { orders: {} } });
  });
  after(() => server.close());

  it('lists, subscribes, disconnects, revokes, blocks and unblocks through the SDK', async () => {
    const jwt = await signJwt(JWT_SECRET, 'u1', { jti: 'tok-1' });
    const client = await TestClient.connect(`${server.wsUrl}?token=${jwt}`);
    const id = (client.frames[0] as { client: string }).client;
    assert.deepEqual(((await herald('connections', 'u1')).connections as Array<{ client: string }>).map((c) => c.client), [id]);
    assert.equal((await herald('subscribe', 'u1', 'orders:7')).subscribed, 1);
    await client.waitFor((f) => f.type === 'subscribed' && f.channel === 'orders:7');
    assert.equal((await herald('unsubscribe', 'u1', 'orders:7', '--client', id)).unsubscribed, 1);
    assert.equal((await herald('disconnect', 'u1', '--no-reconnect', '--reason', 'bye')).disconnected, 1);
    assert.deepEqual(await client.closed, { code: CloseCode.ServerDisconnect, reason: 'bye' });

    assert.equal((await herald('revoke', '--jti', 'tok-1')).jti, 'tok-1');
    assert.equal((await connectOutcome(`${server.wsUrl}?token=${jwt}`)).code, CloseCode.Unauthorized);
    const other = await signJwt(JWT_SECRET, 'u2');
    assert.equal((await herald('block', 'u2', '--reason', 'abuse')).blocked, true);
    assert.equal((await connectOutcome(`${server.wsUrl}?token=${other}`)).code, CloseCode.UserBlocked);
    assert.deepEqual(await herald('unblock', 'u2'), { user: 'u2', unblocked: true });
    assert.equal((await connectOutcome(`${server.wsUrl}?token=${other}`)).connected, true);
  });

  it('a bad action or argument exits 2 with the usage', async () => {
    await assert.rejects(herald('evict', 'u1'), (err: { code: number; stderr: string }) => err.code === 2 && err.stderr.includes('unknown action "evict"'));
    await assert.rejects(herald('block', 'u1', '--expires-at', 'soon'), (err: { code: number; stderr: string }) => err.code === 2 && err.stderr.includes('--expires-at must be a whole number'));
  });
});
