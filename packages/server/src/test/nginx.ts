/**
 * @module test/nginx
 * deploy/nginx.conf run by a real nginx for the deploy tests: the shipped config with only the node
 * addresses and the listen port replaced, wrapped in a minimal main config whose files all live in
 * a temporary directory; and Herald nodes as real processes that a test can kill like a crash.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY } from './helpers.js';
import { PrivateServer, REDIS_URL } from './services.js';

const SHIPPED = readFileSync(new URL('../../../../deploy/nginx.conf', import.meta.url), 'utf8');

/** The shipped config, every parameter kept, with `herald-N:8080` pointing at `nodePorts[N-1]` and this listen port. */
export function nginxSiteConfig(nodePorts: number[], listenPort: number): string {
  const site = SHIPPED.replace(/herald-(\d+):8080/g, (name, n: string) => {
    const port = nodePorts[Number(n) - 1];
    assert.ok(port !== undefined, `deploy/nginx.conf names ${name}, but only ${nodePorts.length} nodes run`);
    return `127.0.0.1:${port}`;
  }).replace('listen 80;', `listen 127.0.0.1:${listenPort};`);
  for (const port of nodePorts) assert.ok(site.includes(`127.0.0.1:${port}`), 'deploy/nginx.conf changed shape: update this test');
  assert.ok(site.includes(`listen 127.0.0.1:${listenPort};`), 'deploy/nginx.conf changed shape: update this test');
  return site;
}

export class Nginx extends PrivateServer {
  static async start(site: string, port: number): Promise<Nginx> {
    const dir = mkdtempSync(join(tmpdir(), 'herald-nginx-'));
    writeFileSync(join(dir, 'herald.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents {}\nhttp { access_log off; ${temp} include ${dir}/herald.conf; }\n`,
    );
    const nginx = new Nginx(port, '/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    nginx.dir = dir;
    await nginx.restart();
    return nginx;
  }
  dir = '';

  /** Stop it with its workers and delete its files. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `herald serve` as a real process (Redis engine), so that killing it is a real crash: no goodbye to clients, nginx or Redis. */
export function heraldProcess(port: number, prefix: string, nodeName: string, extraArgs: string[] = []): PrivateServer {
  const bin = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
  return new PrivateServer(port, process.execPath, [
    bin, 'serve', '--workers', '1', '--port', String(port),
    '--set', 'engine.type=redis', '--set', `engine.redis.url=${REDIS_URL}`, '--set', `engine.prefix=${prefix}`,
    '--set', `auth.api_keys=[${API_KEY}]`, '--set', 'log.level=silent', '--set', `server.node_name=${nodeName}`,
    ...extraArgs,
  ]);
}
