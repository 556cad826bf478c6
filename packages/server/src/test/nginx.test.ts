/**
 * deploy/nginx.conf in front of two Herald nodes (Redis engine), with a real nginx (test/nginx.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_KEY, TestClient, type TestServer } from './helpers.js';
import { startNodes } from './multi-node.js';
import { heraldProcess, Nginx, nginxSiteConfig } from './nginx.js';
import { SdkSubscribers } from './sdk-subscribers.js';
import { deleteRedisKeys, freePort, REDIS_URL, uniquePrefix, until } from './services.js';

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
    await nginx.stop();
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
    const ports = [await freePort(), await freePort()];
    const nodes = ports.map((port, i) => heraldProcess(port, prefix, `node${i}`));
    await Promise.all(nodes.map((n) => n.restart()));
    const port = await freePort();
    const nginx = await Nginx.start(nginxSiteConfig(ports, port), port);
    const subscribers = new SdkSubscribers(`ws://127.0.0.1:${port}/ws`, 'failover', 6);
    try {
      await until(() => subscribers.firstNode.filter(Boolean).length === 6 && subscribers.allSubscribed(), 'six subscribed clients');
      const victim = subscribers.firstNode[0]!;
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
      await subscribers.expectAll(total, () => `on ${subscribers.firstNode.join(',')}, victim ${victim}`);
      assert.ok(subscribers.firstNode.filter((n) => n === victim).length >= 1, 'at least one client was on the killed node');
    } finally {
      subscribers.close();
      await nginx.stop();
      await Promise.all(nodes.map((n) => n.kill()));
      await deleteRedisKeys(REDIS_URL, prefix);
    }
  });
});
