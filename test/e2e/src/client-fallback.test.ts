/**
 * Transport fallback of the client SDK, and its browser bundle in a real Chromium.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { connect, type HeraldClient } from '@herald/client';
import { FAST_BACKOFF, publish, startServer, waitUntil, type TestServer } from '@herald/server/testing';
import { launchBrowser } from '@herald/server/testing/browser';

async function receiveAll(server: TestServer, client: HeraldClient, channel: string, count: number): Promise<unknown[]> {
  const got: unknown[] = [];
  const sub = client.subscribe(channel, (m) => got.push(m.data));
  await waitUntil(() => sub.state === 'subscribed', 10_000, () => `subscribed on ${client.transport}`);
  for (let i = 1; i <= count; i++) await publish(server, channel, i);
  await waitUntil(() => got.length >= count, 10_000, () => `${count} messages on ${client.transport} (have ${got.length})`);
  return got;
}

describe('client SDK transport fallback', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      namespaces: { default: {}, dash: { transports: ['sse', 'longpoll'] }, legacy: { transports: ['longpoll'] } },
      longpoll: { timeout_seconds: 2 },
    });
  });
  after(() => server.close());

  it('moves to SSE when the namespace forbids WebSocket, and delivers exactly once in order', async () => {
    const client = connect(server.wsUrl, { backoff: FAST_BACKOFF });
    try {
      const got = await receiveAll(server, client, 'dash:sales', 20);
      assert.equal(client.transport, 'sse');
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      client.close();
    }
  });

  it('several channels refused at once move it one transport on, not several', async () => {
    const client = connect(server.wsUrl, { backoff: FAST_BACKOFF });
    try {
      const got: unknown[] = [];
      const subs = ['dash:a', 'dash:b', 'dash:c'].map((c) => client.subscribe(c, (m) => got.push(m.data)));
      await waitUntil(() => subs.every((s) => s.state === 'subscribed'), 10_000, () => `all subscribed (on ${client.transport})`);
      assert.equal(client.transport, 'sse');
      await publish(server, 'dash:b', 'b');
      await waitUntil(() => got.includes('b'), 5000, () => 'a message');
    } finally {
      client.close();
    }
  });

  it('ends on long-poll when that is all a namespace allows', async () => {
    const client = connect(server.wsUrl, { backoff: FAST_BACKOFF });
    try {
      const got = await receiveAll(server, client, 'legacy:feed', 20);
      assert.equal(client.transport, 'longpoll');
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      client.close();
    }
  });

  it('falls back to SSE behind a proxy that refuses WebSocket upgrades', async () => {
    const target = new URL(server.url);
    const proxy: Server = createServer((req, res) => {
      const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
      res.on('close', () => upstream.destroy());
    });
    let refused = 0;
    proxy.on('upgrade', (_req, socket) => {
      refused++;
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const client = connect(`ws://127.0.0.1:${port}/ws`, { backoff: FAST_BACKOFF });
    try {
      const got = await receiveAll(server, client, 'behind-proxy', 10);
      assert.equal(client.transport, 'sse');
      assert.ok(refused >= 2, 'WebSocket was tried first');
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => i + 1));
    } finally {
      client.close();
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('the browser bundle (/client.js) runs in headless Chromium and receives a publish', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.open(`${server.url}/healthz`);
      const received = page.evaluate(
        async () => {
          const { connect: connectInBrowser } = (await import('/client.js' as string)) as typeof import('@herald/client');
          const herald = connectInBrowser(`ws://${location.host}/ws`);
          return new Promise<{ data: unknown; transport: string }>((resolve) => {
            const sub = herald.subscribe('browser-news', (m) => resolve({ data: m.data, transport: herald.transport }));
            sub.on('subscribed', () => (globalThis as unknown as { ready: boolean }).ready = true);
          });
        },
      );
      await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 10_000 });
      await publish(server, 'browser-news', { hello: 'chromium' });
      assert.deepEqual(await received, { data: { hello: 'chromium' }, transport: 'websocket' });
    } finally {
      await browser.close();
    }
  });
});
