/**
 * deploy/nginx.conf when both nodes fail in turn (Redis engine, real nginx, real processes): node A
 * is killed, nginx marks it failed, A comes back, and B is killed while A may still be marked
 * failed. A node that is up must take requests at once: no "no live upstreams" 502s, and SDK
 * clients lose nothing. The 502s are counted from a bounded loop of requests through nginx.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { publish, type TestServer } from './helpers.js';
import { startNodes } from './multi-node.js';
import { heraldProcess, Nginx, nginxSiteConfig } from './nginx.js';
import { SdkSubscribers } from './sdk-subscribers.js';
import { deleteRedisKeys, freePort, REDIS_URL, uniquePrefix, until } from './services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  /** When the request started (performance.now()). */
  at: number;
  /** HTTP status, or 0 when nginx itself could not be reached. */
  status: number;
}

/** GET `url` in a loop, one request at a time, until stopped or after `max` requests. */
function probe(url: string, max = 5000): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; i < max && !stopped; i++) {
      const at = performance.now();
      const status = await fetch(url, { signal: AbortSignal.timeout(5000) })
        .then(async (res) => (await res.arrayBuffer(), res.status))
        .catch(() => 0);
      samples.push({ at, status });
      await sleep(5);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** How long nginx answered 502: each 502 counts until the next request started. */
function badGatewayMs(samples: Sample[]): number {
  let ms = 0;
  for (let i = 0; i < samples.length; i++) if (samples[i]!.status === 502) ms += (samples[i + 1]?.at ?? samples[i]!.at) - samples[i]!.at;
  return ms;
}

/** Publish 1, 2, 3… to `channel` on `node`, one every `everyMs`, until stopped; resolves to the count. */
function publishing(node: TestServer, channel: string, everyMs: number, max = 2000): { stop(): Promise<number> } {
  let stopped = false;
  let sent = 0;
  const loop = (async () => {
    while (!stopped && sent < max) {
      const res = await publish(node, channel, sent + 1);
      assert.equal(res.status, 200, `publish ${sent + 1}`);
      sent++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

it('kill A, restart A, kill B within 10 s: nginx sends everything to A at once; SDK clients lose 0, duplicate 0', async (t) => {
  const prefix = uniquePrefix();
  const ports = [await freePort(), await freePort()];
  const [a, b] = [heraldProcess(ports[0]!, prefix, 'node0'), heraldProcess(ports[1]!, prefix, 'node1')];
  const ready = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
  let publisher: TestServer | undefined;
  let nginx: Nginx | undefined;
  let subscribers: SdkSubscribers | undefined;
  try {
    await Promise.all([a.restart(), b.restart()]);
    // Publishes go to a third node, outside nginx, so that they never depend on A or B.
    [publisher] = (await startNodes(1, { type: 'redis', prefix, redis: { url: REDIS_URL } })) as [TestServer];
    await until(async () => (await ready(a.port)) && (await ready(b.port)), 'both nodes ready');
    const port = await freePort();
    nginx = await Nginx.start(nginxSiteConfig(ports, port), port);
    subscribers = new SdkSubscribers(`ws://127.0.0.1:${port}/ws`, 'restart', 6);
    await until(() => subscribers!.allSubscribed(), 'six subscribed clients');

    const probes = probe(`http://127.0.0.1:${port}/readyz`);
    // ~50 publications/s: a client's gap while it reconnects stays well inside the 100 kept in history.
    const stream = publishing(publisher, 'restart', 20);
    await sleep(300);
    const killedA = performance.now();
    await a.kill();
    // Requests meet the dead node meanwhile, so nginx counts its failures and marks it failed.
    await sleep(500);
    await a.restart();
    await until(() => ready(a.port), 'A ready again');
    await b.kill();
    const window = performance.now() - killedA;
    assert.ok(window < 10_000, `B was killed ${Math.round(window)} ms after A: outside the window this test is about`);
    // Held until the 502s are reported: they explain a client that could not come back.
    const notBack = await until(() => subscribers!.node.every((n) => n === 'node0') && subscribers!.allSubscribed(), 'every client subscribed again, on A', 20_000).then(
      () => undefined,
      (err: unknown) => err,
    );
    await sleep(1000);
    const samples = await probes.stop();
    const total = await stream.stop();

    const statuses = new Map<number, number>();
    for (const s of samples) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const blackoutMs = badGatewayMs(samples);
    t.diagnostic(`${samples.length} requests through nginx, by status: ${JSON.stringify(Object.fromEntries(statuses))}; 502 for ${Math.round(blackoutMs)} ms`);
    // The scenario happened: nginx did mark the killed node failed before it came back.
    assert.match(readFileSync(join(nginx.dir, 'error.log'), 'utf8'), new RegExp(`upstream server temporarily disabled .*127\\.0\\.0\\.1:${a.port}`));
    assert.ok(blackoutMs < 1000, `nginx answered 502 for ${Math.round(blackoutMs)} ms (${statuses.get(502)} requests) while a node was up`);
    if (notBack) throw notBack;
    await subscribers.expectAll(total, () => `first on ${subscribers!.firstNode.join(',')}`);
  } finally {
    subscribers?.close();
    await nginx?.stop();
    await Promise.all([a.kill(), b.kill()]);
    await publisher?.close();
    await deleteRedisKeys(REDIS_URL, prefix);
  }
});
