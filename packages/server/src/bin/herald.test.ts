import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { childEnv, TestClient } from '../test/helpers.js';

const BIN = fileURLToPath(new URL('./herald.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function yaml(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'herald-cli-')), 'herald.yaml');
  writeFileSync(path, text);
  return path;
}

describe('herald CLI', () => {
  it('a config file with an unknown key exits 2 with one line naming it', async () => {
    const r = await run(['serve', '--config', yaml('server:\n  prot: 80\n')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'herald: config: unknown key "server.prot" (expected one of: host, port, node_name, shutdown_timeout_seconds, headers_timeout_seconds, request_timeout_seconds, allowed_origins, cors_origins, demo, accept_any_namespace, default_channel, trust_proxy, tls)\n');
  });

  it('a bad value from the environment exits 2 naming the key', async () => {
    const r = await run(['serve'], { HERALD_SERVER__PORT: 'http' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^herald: config: server\.port must be integer \(got "http"\)\n$/);
  });

  it('a config error only a worker finds exits 2 too, with --workers', async () => {
    const r = await run(['serve', '--workers', '2', '--log-level', 'silent', '--config', yaml('hooks:\n  connect_url: http://127.0.0.1:1/x\n  secret: short\n')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^herald: config: hooks\.secret must be at least 16 characters/);
  });

  it('unknown commands and flags print usage and exit 2', async () => {
    for (const args of [['frobnicate'], ['serve', '--nope'], []]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stdout + r.stderr, /Usage: herald (<command>|serve)/);
    }
    const help = await run(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--config <file>/);
  });

  it('an address in use exits 1 with a clear line', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(['serve', '--workers', '1', '--port', String(port), '--log-level', 'silent'], { HERALD_API_KEYS: 'k'.repeat(16) });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `herald: port ${port} on 127.0.0.1 is already in use\n`);
    } finally {
      blocker.close();
    }
  });

  it('serves (two workers, no config file) with a printed dev key and commands that work; SIGTERM closes clients with 1012 and exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', '0'], { env: childEnv() });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The listening line (stdout) and the dev secret (stderr) arrive on two pipes in either order.
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line and dev secret; stdout: ${stdout} stderr: ${stderr}`)), 60_000);
      const check = () => {
        const m = /"port":(\d+).*"msg":"herald listening"/.exec(stdout);
        if (m && /Dev secret[^\n]*\n\s+\S+\n/.test(stderr)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', (d) => {
        stdout += d;
        check();
      });
      child.stderr.on('data', check);
    });
    try {
      const key = /Dev secret[^\n]*\n\s+(\S+)/.exec(stderr)?.[1];
      assert.ok(key?.startsWith('hrld_dev_'), stderr);
      assert.equal(stderr.split(key!).length - 1, 2, 'printed once, plus once in the export line');
      // Plain HTTP says so, with workers too (the primary has no server of its own to ask).
      assert.match(stderr, new RegExp(`Herald is running on http://127\\.0\\.0\\.1:${port} \\(WebSocket: ws://127\\.0\\.0\\.1:${port}/ws\\)`));
      assert.match(stderr, /Dev mode: channels in any namespace are accepted/);
      assert.match(stderr, new RegExp(`npx herald subscribe orders:42 --url ws://127\\.0\\.0\\.1:${port}/ws\n`));
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      await client.subscribe('orders:42');
      // The printed curl command, run as printed (a shell with HERALD_SECRET exported).
      const curl = /^ {2}(curl [^\n]*\\\n[^\n]*)$/m.exec(stderr)?.[1];
      assert.ok(curl, stderr);
      const published = spawnSync('bash', ['-c', curl], { env: { PATH: process.env.PATH ?? '', HERALD_SECRET: key! }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(published.status, 0, published.stderr);
      assert.match(published.stdout, /^\{"channel":"orders:42","offset":1,"epoch":"[^"]+"\}$/);
      await client.waitForMessages(1);
      child.kill('SIGTERM');
      const { code } = await client.closed;
      assert.equal(code, CloseCode.ServiceRestart);
      assert.equal(await exited, 0);
      assert.match(stdout, /"msg":"herald stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits on SIGTERM after whatever read its stdout has gone (EPIPE on the log), with one worker and with two', async () => {
    for (const workers of ['1', '2']) {
      const child = spawn(process.execPath, [BIN, 'serve', '--workers', workers, '--port', '0'], { env: childEnv() });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        let stderr = '';
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 60_000);
          child.stderr.on('data', (d) => {
            stderr += d;
            if (stderr.includes('Herald is running on')) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        // The log reader goes away; the shutdown's own log lines then meet a closed pipe.
        child.stdout.destroy();
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
        assert.notEqual(stopped, 'hung', `--workers ${workers}: still running 30 s after SIGTERM`);
      } finally {
        child.kill('SIGKILL');
      }
    }
  });
});
