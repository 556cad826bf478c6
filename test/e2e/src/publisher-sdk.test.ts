/**
 * The backend SDK against a real Herald: signing with the dev secret, typed errors, and a
 * retry after a lost answer that must not publish twice.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { Publisher, PublishError } from '@herald/publisher';
import { API_KEY, startServer, TestClient, sleep } from '@herald/server/testing';

describe('Publisher (backend SDK)', () => {
  it('publishes, broadcasts and reads history with signed requests using the dev secret', async () => {
    const server = await startServer({ auth: { api_keys: [] }, namespaces: { orders: {} } });
    try {
      const secret = server.herald.devSecret!;
      const publisher = new Publisher({ url: server.url, secret });
      const client = await TestClient.connect(server.wsUrl);
      await client.subscribe('orders:1');
      const first = await publisher.publish('orders:1', { status: 'paid' }, { event: 'updated' });
      assert.equal(first.offset, 1);
      const b = await publisher.broadcast(['orders:1', 'orders:2'], 'bulk', { key: 'status' });
      assert.equal(b.results.length, 2);
      const [m1, m2] = await client.waitForMessages(2);
      assert.deepEqual([m1!.event, m1!.data, m2!.data, m2!.key], ['updated', { status: 'paid' }, 'bulk', 'status']);
      const history = await publisher.history('orders:1', { since: { offset: 0, epoch: first.epoch } });
      assert.deepEqual(history.publications.map((p) => p.data), [{ status: 'paid' }, 'bulk']);
      assert.equal(history.recovered, true);
      client.close();
    } finally {
      await server.close();
    }
  });

  it('publishBatch publishes many small updates in one request, one result per item', async () => {
    const server = await startServer({ namespaces: { notes: {} } });
    try {
      const publisher = new Publisher({ url: server.url, apiKey: API_KEY });
      const client = await TestClient.connect(server.wsUrl);
      await client.subscribe('notes:u1');
      const res = await publisher.publishBatch([
        { channel: 'notes:u1', data: { n: 1 }, event: 'new' },
        { channel: 'notes:u2', data: { n: 2 }, idempotencyKey: 'sdk-batch-item' },
        { channel: 'bad name!', data: 0 },
        { channel: 'notes:u1', data: { n: 3 } },
      ]);
      assert.deepEqual(
        res.results.map((r) => ('error' in r ? r.error.code : r.offset)),
        [1, 1, 'invalid_channel', 2],
      );
      const [m1, m2] = await client.waitForMessages(2, 'notes:u1');
      assert.deepEqual([m1!.event, m1!.data, m2!.data], ['new', { n: 1 }, { n: 3 }]);
      const again = await publisher.publishBatch([{ channel: 'notes:u2', data: { n: 2 }, idempotencyKey: 'sdk-batch-item' }]);
      assert.deepEqual(again.results[0], res.results[1], 'the keyed item published once');
      client.close();
    } finally {
      await server.close();
    }
  });

  it('surfaces refusals as typed errors without retrying them', async () => {
    const server = await startServer({ auth: { signing_keys: { main: 'the-real-signing-secret-0123456789' } } });
    try {
      const wrong = new Publisher({ url: server.url, secret: 'a-wrong-signing-secret-0123456789', keyId: 'main' });
      const started = Date.now();
      await assert.rejects(wrong.publish('x', 1), (err: unknown) => err instanceof PublishError && err.status === 401 && err.code === 'unauthorized' && err.reason === 'invalid_credentials');
      assert.ok(Date.now() - started < 2000, '4xx is not retried');
      const right = new Publisher({ url: server.url, secret: 'the-real-signing-secret-0123456789', keyId: 'main' });
      await assert.rejects(right.publish('bad name!', 1), (err: unknown) => err instanceof PublishError && err.status === 400 && err.code === 'invalid_channel');
    } finally {
      await server.close();
    }
  });

  it('retries after a lost answer under the same Idempotency-Key: one publication, same result', async () => {
    const server = await startServer({ auth: { api_keys: [] } });
    // A proxy that forwards every request but, the first time, drops the answer on the floor.
    let dropped = 0;
    let forwarded = 0;
    const target = new URL(server.url);
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        forwarded++;
        const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            if (dropped === 0 && req.url === '/api/publish') {
              dropped++;
              res.socket?.destroy();
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(Buffer.concat(body));
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const client = await TestClient.connect(server.wsUrl);
      await client.subscribe('once');
      const publisher = new Publisher({ url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, secret: server.herald.devSecret!, minDelayMs: 10 });
      const result = await publisher.publish('once', 'exactly one');
      assert.equal(dropped, 1);
      assert.equal(forwarded, 2, 'the SDK retried');
      assert.equal(result.offset, 1);
      await client.waitForMessages(1);
      await sleep(50);
      assert.deepEqual(client.messages().map((m) => m.data), ['exactly one']);
      client.close();
    } finally {
      proxy.close();
      await server.close();
    }
  });
});
