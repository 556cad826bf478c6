/**
 * The `herald` CLI as a user runs it: real processes against a real server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { jwtVerify } from 'jose';
import { childEnv, startServer, TestClient } from '@herald/server/testing';

const BIN = createRequire(import.meta.url).resolve('@herald/server/package.json').replace(/package\.json$/, 'dist/bin/herald.js');

function herald(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done, stderr: () => stderr };
}

describe('herald CLI', () => {
  it('`herald publish` then `herald subscribe` see the same message', async () => {
    const server = await startServer({ auth: { api_keys: [] }, namespaces: { orders: {} } });
    try {
      const secret = server.herald.devSecret!;
      const sub = herald(['subscribe', 'orders:42', '--url', server.wsUrl, '--count', '1']);
      // Publish only once the subscriber is in, so the test does not depend on history.
      while (!sub.stderr().includes('subscribed to orders:42')) await new Promise((r) => setTimeout(r, 20));
      const pub = await herald(['publish', 'orders:42', '{"status":"paid"}', '--event', 'updated', '--url', server.url], { HERALD_SECRET: secret }).done;
      assert.equal(pub.code, 0, pub.stderr);
      const published = JSON.parse(pub.stdout) as { channel: string; offset: number; epoch: string };
      assert.equal(published.channel, 'orders:42');
      const got = await sub.done;
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(JSON.parse(got.stdout), { channel: 'orders:42', offset: published.offset, epoch: published.epoch, event: 'updated', data: { status: 'paid' } });
    } finally {
      await server.close();
    }
  });

  it('bad arguments print usage and exit 2; refusals exit 1', async () => {
    const cases = [['publish'], ['publish', 'a'], ['publish', 'a', '{not json'], ['subscribe'], ['token'], ['simulate', '--rate', '0'], ['publish', 'a', '1', '--bogus']];
    const usage = await Promise.all(cases.map((args) => herald(args, { HERALD_SECRET: 'x'.repeat(32) }).done));
    for (const [i, r] of usage.entries()) {
      assert.equal(r.code, 2, `${cases[i]!.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: herald \w+/, cases[i]!.join(' '));
    }
    const commands = ['publish', 'subscribe', 'token', 'simulate', 'serve', 'init'];
    const helps = await Promise.all(commands.map((command) => herald([command, '--help']).done));
    for (const [i, help] of helps.entries()) {
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`Usage: herald ${commands[i]}`));
    }
    const server = await startServer({ auth: { api_keys: ['the-only-valid-key-here'] } });
    try {
      const refused = await herald(['publish', 'a', '1', '--url', server.url, '--api-key', 'wrong-key-wrong-key']).done;
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /unauthorized \(invalid_credentials\)/);
      // --api-key on the command line wins over a $HERALD_SECRET left in the environment.
      const flagWins = await herald(['publish', 'a', '1', '--url', server.url, '--api-key', 'the-only-valid-key-here'], { HERALD_SECRET: 'x'.repeat(32) }).done;
      assert.equal(flagWins.code, 0, flagWins.stderr);
    } finally {
      await server.close();
    }
  });

  it('`herald token` mints a JWT the server accepts, with the claims asked for', async () => {
    const secret = 'cli-jwt-secret-0123456789abcdef';
    const r = await herald(['token', '--secret', secret, '--sub', 'u42', '--subscribe', 'orders:*', '--ttl', '600']).done;
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret));
    assert.equal(payload.sub, 'u42');
    assert.deepEqual(payload.herald, { subscribe: ['orders:*'] });
    assert.ok(payload.exp! - Math.floor(Date.now() / 1000) <= 600);
    const server = await startServer({ auth: { jwt: { secrets: [secret] } }, namespaces: { orders: {}, admin: {} } });
    try {
      const client = await TestClient.connect(`${server.wsUrl}?token=${token}`);
      await client.subscribe('orders:1');
      const denied = await client.request({ type: 'subscribe', channel: 'admin:x' });
      assert.ok('error' in denied);
      client.close();
    } finally {
      await server.close();
    }
  });

  it("`herald simulate` publishes a bounded stream, seed 000's way (time token on /update)", async () => {
    const server = await startServer({ auth: { time_token: { secrets: ['sim-time-token-secret-01'] } }, namespaces: { orders: {}, default: {} } });
    try {
      const client = await TestClient.connect(server.wsUrl);
      await client.subscribe('orders');
      const r = await herald(['simulate', '--url', server.url, '--channels', 'orders', '--count', '5', '--rate', '50'], { TIME_TOKEN_SECRET: 'sim-time-token-secret-01' }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /5 published .* 0 errors/);
      const msgs = await client.waitForMessages(5);
      assert.deepEqual(msgs.map((m) => (m.data as { status: string }).status), ['created', 'paid', 'packed', 'shipped', 'delivered']);
      client.close();
    } finally {
      await server.close();
    }
  });
});
