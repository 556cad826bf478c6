/**
 * `herald init` as a user runs it: the file it writes starts a production node (ready, demo off,
 * strict namespaces), and the secrets it generated work with the backend SDK (signed), curl (API
 * key) and a browser-style client (JWT).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { parse as parseYaml } from 'yaml';
import { Publisher } from '@herald/publisher';
import { TestClient } from '@herald/server/testing';
import { listeningPort, run, start, stop } from './spawn.js';

const BIN = createRequire(import.meta.url).resolve('@herald/server/package.json').replace(/package\.json$/, 'bin/herald.js');
const ENV = { PATH: process.env.PATH ?? '' };

interface Written {
  server: { demo: boolean };
  auth: { api_keys: string[]; signing_keys: Record<string, string>; jwt: { secrets: string[] } };
  admin: { token: string };
  namespaces: Record<string, Record<string, unknown>>;
}

describe('herald init', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    dirs.push(mkdtempSync(join(tmpdir(), 'herald-init-')));
    return dirs.at(-1)!;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('writes a commented config with fresh secrets, and never overwrites one without --force', async () => {
    const dir = tempDir();
    const file = join(dir, 'herald.yaml');
    const first = await run(process.execPath, [BIN, 'init', '--output', file, '--namespace', 'orders', '--namespace', 'chat:presence,client-publish'], { env: ENV });
    assert.equal(first.code, 0, first.stderr);
    const text = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'secrets: readable by the owner only');
    assert.match(text, /^# Herald configuration written by `herald init`/);
    const config = parseYaml(text) as Written;
    assert.equal(config.server.demo, false);
    assert.deepEqual(config.namespaces, { orders: {}, chat: { presence: true, allow_client_publish: true } });
    const secrets = [config.auth.api_keys[0]!, config.auth.signing_keys.default!, config.auth.jwt.secrets[0]!, config.admin.token];
    assert.equal(new Set(secrets).size, 4, 'four different secrets');
    for (const s of secrets) assert.ok(s.length >= 40, s);
    // What to give the backend and the browser, with the values from the file.
    assert.ok(first.stdout.includes(`HERALD_SECRET=${config.auth.signing_keys.default}`), first.stdout);
    assert.ok(first.stdout.includes(`HERALD_API_KEY=${config.auth.api_keys[0]}`));
    assert.ok(first.stdout.includes(`JWT_SECRET=${config.auth.jwt.secrets[0]}`));
    assert.match(first.stdout, /Give the browser[^\n]*ws:\/\/<this host>:8080\/ws and a JWT/);

    const again = await run(process.execPath, [BIN, 'init', '--output', file], { env: ENV });
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `herald: ${file} already exists: pass --force to overwrite it (its secrets would be replaced)\n`);
    assert.equal(readFileSync(file, 'utf8'), text, 'left as it was');
    const forced = await run(process.execPath, [BIN, 'init', '--output', file, '--force'], { env: ENV });
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual((parseYaml(readFileSync(file, 'utf8')) as Written).auth.api_keys[0], config.auth.api_keys[0], 'fresh secrets');

    const bad = await run(process.execPath, [BIN, 'init', '--output', join(dir, 'x.yaml'), '--namespace', 'chat:bogus'], { env: ENV });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option "bogus"[^\n]*\n\nUsage: herald init/);
  });

  it('its output starts a ready node with the demo off, and its secrets work with the SDK, curl and a JWT client', async () => {
    const dir = tempDir();
    const file = join(dir, 'herald.yaml');
    const init = await run(process.execPath, [BIN, 'init', '--output', file, '--host', '127.0.0.1', '--namespace', 'orders'], { env: ENV });
    assert.equal(init.code, 0, init.stderr);
    const config = parseYaml(readFileSync(file, 'utf8')) as Written;
    // The file as written; only the port is chosen here so tests never collide.
    const node = start(process.execPath, [BIN, 'serve', '--config', file, '--port', '0', '--workers', '1'], { env: ENV });
    try {
      const port = await listeningPort(node, 60_000);
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      assert.equal((await fetch(`${url}/demo/`)).status, 404);
      assert.equal((await fetch(`${url}/demo/chat.html`)).status, 404);
      assert.doesNotMatch(node.stderr(), /Dev secret|Dev mode/, 'no dev banner on a configured node');

      // A browser-style client with a JWT minted from the generated secret; none without one.
      const token = await new SignJWT({ sub: 'u42' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(config.auth.jwt.secrets[0]!));
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws?token=${token}`);
      await client.subscribe('orders:1');
      const anonymous = await TestClient.connect(`ws://127.0.0.1:${port}/ws`).then(
        async (c) => {
          const reply = await c.request({ type: 'subscribe', channel: 'orders:1' });
          c.close();
          return 'error' in reply ? 'refused' : 'accepted';
        },
        () => 'refused',
      );
      assert.equal(anonymous, 'refused');

      // The backend SDK signs with the signing key (key id "default", as printed).
      const publisher = new Publisher({ url, secret: config.auth.signing_keys.default! });
      const signed = await publisher.publish('orders:1', { status: 'paid' }, { event: 'updated' });
      assert.equal(signed.offset, 1);
      // curl with the API key.
      const curl = await run('curl', ['-sS', '-H', `Authorization: Bearer ${config.auth.api_keys[0]}`, '-H', 'Content-Type: application/json', '-d', '{"channel":"orders:1","data":{"status":"shipped"}}', `${url}/api/publish`], { env: ENV });
      assert.equal(curl.code, 0, curl.stderr);
      assert.equal((JSON.parse(curl.stdout) as { offset: number }).offset, 2);
      const messages = await client.waitForMessages(2);
      assert.deepEqual(messages.map((m) => m.data), [{ status: 'paid' }, { status: 'shipped' }]);

      // Strict namespaces: only what init was told about.
      const refused = await fetch(`${url}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${config.auth.api_keys[0]}`, 'content-type': 'application/json' }, body: '{"channel":"other:1","data":1}' });
      assert.equal(refused.status, 404);
      // The admin page is on with the generated token.
      const admin = await fetch(`${url}/admin/api/session`, { headers: { authorization: `Bearer ${config.admin.token}` } });
      assert.equal(admin.status, 200);
      client.close();
      stop(node);
      assert.equal(await node.exited, 0);
    } finally {
      stop(node, 'SIGKILL');
    }
  });
});
