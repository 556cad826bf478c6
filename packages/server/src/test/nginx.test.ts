/**
 * deploy/nginx.conf in front of two Herald nodes (Redis engine), with a real nginx: the config is
 * the shipped one with only the node addresses and the listen port replaced, wrapped in a minimal
 * main config whose files all live in a temporary directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type HeraldClient, type Subscription } from '@herald/client';
import { after, before, describe, it } from 'node:test';
import { API_KEY, TestClient, waitUntil, type TestServer } from './helpers.js';
import { startNodes } from './multi-node.js';
import { deleteRedisKeys, freePort, PrivateServer, REDIS_URL, uniquePrefix, until } from './services.js';

const SHIPPED = readFileSync(new URL('../../../../deploy/nginx.conf', import.meta.url), 'utf8');

/** The shipped config for these node ports and this listen port. */
export function nginxSiteConfig(nodePorts: number[], listenPort: number): string {
  const servers = nodePorts.map((port) => `    server 127.0.0.1:${port} max_fails=3 fail_timeout=10s;`).join('\n');
  const site = SHIPPED.replace(/( {4}server herald-\d+:8080[^\n]*\n)+/, `${servers}\n`).replace('listen 80;', `listen 127.0.0.1:${listenPort};`);
  assert.ok(site.includes(`127.0.0.1:${nodePorts[0]}`) && site.includes(`listen 127.0.0.1:${listenPort};`), 'deploy/nginx.conf changed shape: update this test');
  return site;
}

class Nginx extends PrivateServer {
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
}

describe('deploy/nginx.conf with a real nginx', () => {
  const prefix = uniquePrefix();
  let nodes: TestServer[];
  let nginx: Nginx;
  let base: string;
  before(async () => {
    nodes = await startNodes(2, { type: 'redis', prefix, redis: { url: REDIS_URL } });
    const port = await freePort();
    nginx = await Nginx.start(nginxSiteConfig(nodes.map((n) => Number(new URL(n.url).port)), port), port);
    base = `127.0.0.1:${port}`;
  });
  after(async () => {
    await nginx.kill();
    rmSync(nginx.dir, { recursive: true, force: true });
    await Promise.all(nodes.map((n) => n.close()));
    await deleteRedisKeys(REDIS_URL, prefix);
  });

  const publishVia = (channel: string, data: unknown) =>
    fetch(`http://${base}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel, data }) });

  it('spreads WebSockets over both nodes and delivers a publish made through nginx to all of them', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect(`ws://${base}/ws`)));
    const nodeNames = new Set(clients.map((c) => (c.frames[0] as { node?: string }).node));
    assert.deepEqual([...nodeNames].sort(), ['node0', 'node1'], 'least_conn uses both nodes');
    await Promise.all(clients.map((c) => c.subscribe('via-nginx')));
    const res = await publishVia('via-nginx', { hello: 'nginx' });
    assert.equal(res.status, 200);
    for (const c of clients) {
      const [m] = await c.waitForMessages(1, 'via-nginx');
      assert.deepEqual(m!.data, { hello: 'nginx' });
      c.close();
    }
  });

  it('streams server-sent events without buffering them', async () => {
    const abort = new AbortController();
    const res = await fetch(`http://${base}/sse?channel=sse-nginx`, { signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before "${until}": ${text}`);
        text += Buffer.from(value).toString();
      }
    };
    await read('event: subscribed');
    // Published after the stream started: it can only arrive if nginx passes events on at once.
    assert.equal((await publishVia('sse-nginx', 'pushed')).status, 200);
    await read('"pushed"');
    abort.abort();
  });

  it('answers health checks and long-polls through the proxy', async () => {
    assert.equal((await fetch(`http://${base}/readyz`)).status, 200);
    const poll = await fetch(`http://${base}/poll?channel=poll-nginx`);
    assert.equal(poll.status, 200);
    assert.ok(Array.isArray(((await poll.json()) as { messages: unknown[] }).messages));
  });

  it('passes a dropped node over: clients reconnect to the other one', async () => {
    const client = await TestClient.connect(`ws://${base}/ws`);
    const first = (client.frames[0] as { node: string }).node;
    const node = nodes.find((n) => n.herald.config.server.node_name === first)!;
    const other = nodes.find((n) => n !== node)!;
    await node.close();
    assert.equal((await client.closed).code, 1012);
    // A fresh connection lands on a live node (nginx retries the next upstream for a refused one).
    await until(async () => {
      const again = await TestClient.connect(`ws://${base}/ws`).catch(() => undefined);
      again?.close();
      return (again?.frames[0] as { node?: string } | undefined)?.node === other.herald.config.server.node_name;
    }, 'a connection to the remaining node');
  });
});

describe('deploy/nginx.conf: a node killed under a steady publish stream', () => {
  it('its clients reconnect through nginx to the other node; every SDK client counts 0 lost, 0 duplicated', async () => {
    const prefix = uniquePrefix();
    const bin = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
    const ports = [await freePort(), await freePort()];
    // Real processes, so the kill is a real crash: no goodbye to clients, nginx or Redis.
    const nodes = ports.map(
      (port, i) =>
        new PrivateServer(port, process.execPath, [
          bin, 'serve', '--workers', '1', '--port', String(port),
          '--set', 'engine.type=redis', '--set', `engine.redis.url=${REDIS_URL}`, '--set', `engine.prefix=${prefix}`,
          '--set', `auth.api_keys=[${API_KEY}]`, '--set', 'log.level=silent', '--set', `server.node_name=node${i}`,
        ]),
    );
    await Promise.all(nodes.map((n) => n.restart()));
    const port = await freePort();
    const nginx = await Nginx.start(nginxSiteConfig(ports, port), port);
    const clients: HeraldClient[] = [];
    try {
      const got: number[][] = [];
      const duplicates: number[] = [];
      const onNode: string[] = [];
      const subscriptions: Subscription[] = [];
      for (let i = 0; i < 6; i++) {
        const client = connect(`ws://127.0.0.1:${port}/ws`, { backoff: { initialMs: 20, maxMs: 200, factor: 2 } });
        client.on('connected', ({ node }) => (onNode[i] ??= node));
        const seen: number[] = [];
        const offsets = new Set<number>();
        got.push(seen);
        subscriptions.push(client.subscribe('failover', (m) => {
          if (offsets.has(m.offset)) duplicates.push(m.offset);
          offsets.add(m.offset);
          seen.push(m.data as number);
        }));
        clients.push(client);
      }
      // Subscribed, not just connected: a new subscription gets what is published after it.
      await until(() => onNode.filter(Boolean).length === 6 && clients.every((c) => c.state === 'connected') && subscriptions.every((s) => s.state === 'subscribed'), 'six subscribed clients');
      const victim = onNode[0]!;
      const survivor = ports[victim === 'node0' ? 1 : 0]!;
      const victimNode = nodes[victim === 'node0' ? 0 : 1]!;
      // Publish steadily to the surviving node; kill the other one a third of the way in.
      const total = 300;
      for (let i = 1; i <= total; i++) {
        const res = await fetch(`http://127.0.0.1:${survivor}/api/publish`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'failover', data: i }),
        });
        assert.equal(res.status, 200);
        if (i === 100) await victimNode.kill();
        await new Promise((r) => setTimeout(r, 3));
      }
      const missing = (seen: number[]) => Array.from({ length: total }, (_, i) => i + 1).filter((n) => !seen.includes(n));
      await waitUntil(
        () => got.every((seen) => seen.length >= total),
        30_000,
        () => `all ${total} messages on every client; missing per client (on ${onNode.join(',')}, victim ${victim}): ${JSON.stringify(got.map(missing))}`,
      );
      assert.ok(onNode.filter((n) => n === victim).length >= 1, 'at least one client was on the killed node');
      assert.deepEqual(duplicates, []);
      for (const seen of got) assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      for (const c of clients) c.close();
      await nginx.kill();
      rmSync(nginx.dir, { recursive: true, force: true });
      await Promise.all(nodes.map((n) => n.kill()));
      await deleteRedisKeys(REDIS_URL, prefix);
    }
  });
});
