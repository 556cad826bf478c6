/**
 * The packages as npm ships them, installed outside the monorepo: `npm pack` of protocol,
 * client, publisher and server, `npm install` of the tarballs into an empty project, then the
 * quick start's commands there (`npx herald --help`, `serve`, `subscribe`, `publish`) with
 * HERALD_SECRET. Catches a missing file in "files", a bin that does not link, a workspace-only
 * import.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from './markdown.js';
import { freePort, run, start, stop, userEnv, waitForOutput, type Running } from './spawn.js';

const PACKAGES = ['packages/protocol', 'packages/client', 'packages/publisher', 'packages/server'];

describe('the packed packages, installed elsewhere', () => {
  const work = mkdtempSync(join(tmpdir(), 'herald-packed-'));
  const running: Running[] = [];
  after(() => {
    for (const p of running) stop(p, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('install from their tarballs, and `npx herald` serves, publishes and subscribes', { timeout: 600_000 }, async () => {
    const tarballs = join(work, 'tarballs');
    const app = join(work, 'app');
    mkdirSync(tarballs);
    mkdirSync(app);
    const env = userEnv({});
    const packed = await run('npm', ['pack', '--silent', '--pack-destination', tarballs, ...PACKAGES.flatMap((p) => ['-w', p])], { cwd: ROOT, env }, 300_000);
    assert.equal(packed.code, 0, packed.stderr);
    const files = readdirSync(tarballs).map((f) => join(tarballs, f));
    assert.equal(files.length, PACKAGES.length, packed.stdout);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // From the npm cache the monorepo's own install filled; the registry only for what is missing.
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files], { cwd: app, env }, 300_000);
    assert.equal(installed.code, 0, installed.stderr);

    const help = await run('npx', ['herald', '--help'], { cwd: app, env });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: herald <command> \[options\]/);

    const port = await freePort();
    const node = start('npx', ['herald', 'serve', '--workers', '1'], { cwd: app, env: { ...env, PORT: String(port) } });
    running.push(node);
    const secret = (await waitForOutput(node, /export HERALD_SECRET=(hrld_dev_\S+)/, 120_000, 'stderr'))[1]!;
    const base = `http://127.0.0.1:${port}`;
    // Assets the package must carry: the browser bundle and the demo pages.
    assert.equal((await fetch(`${base}/client.js`)).status, 200);
    assert.equal((await fetch(`${base}/demo/chat.html`)).status, 200);

    const cli = { ...env, HERALD_SECRET: secret, HERALD_URL: base, WS_URL: `ws://127.0.0.1:${port}/ws` };
    const sub = start('npx', ['herald', 'subscribe', 'orders:42', '--count', '1'], { cwd: app, env: cli });
    running.push(sub);
    await waitForOutput(sub, /subscribed to orders:42/, 60_000, 'stderr');
    const pub = await run('npx', ['herald', 'publish', 'orders:42', '{"status":"paid"}', '--event', 'updated'], { cwd: app, env: cli });
    assert.equal(pub.code, 0, pub.stderr);
    const result = JSON.parse(pub.stdout) as { channel: string; offset: number; epoch: string };
    assert.deepEqual([result.channel, result.offset], ['orders:42', 1]);
    assert.equal(await sub.exited, 0, sub.stderr());
    assert.deepEqual(JSON.parse(sub.stdout()), { channel: 'orders:42', offset: 1, epoch: result.epoch, event: 'updated', data: { status: 'paid' } });
    // Ends gracefully on SIGTERM (npx's own exit status is npm's, not herald's).
    stop(node);
    await node.exited;
    assert.match(node.stdout(), /"msg":"herald stopped"/);
  });
});
