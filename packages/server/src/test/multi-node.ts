/**
 * @module test/multi-node
 * Scenarios for several nodes sharing one engine, run by each shared engine's test file with its
 * own `engine` config section: three real nodes on loopback, real WebSocket clients, HTTP publishes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../auth/signature.js';
import { assertByteExact } from './byte-exact.js';
import { api, publish, startServer, TestClient, type TestServer } from './helpers.js';
import { until } from './services.js';

const SIGNING_SECRET = 'multi-node-signing-secret-0123456789abcdef';
const FAILURE_LIMIT = 6;

export const ready = async (node: TestServer) => (await api(node, '/readyz')).status === 200;

/** Start `count` nodes on one engine and wait until each reports ready (a node may start before its engine answers). */
export async function startNodes(count: number, engine: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<TestServer[]> {
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startServer({ engine, namespaces: { default: { history_size: 100 } }, ...extra, server: { ...(extra.server as object), node_name: `node${i}` } }),
    ),
  );
  for (const node of nodes) await until(() => ready(node), `${node.url} ready`);
  return nodes;
}

export function multiNodeSuite(name: string, engine: () => Record<string, unknown>, cleanup: () => Promise<void>): void {
  describe(`three nodes on ${name}`, () => {
    let nodes: TestServer[];
    let a: TestServer, b: TestServer, c: TestServer;
    let n = 0;
    const channel = () => `mn${Date.now()}_${n++}`;
    before(async () => {
      nodes = await startNodes(3, engine(), {
        auth: { api_keys: ['test-api-key-0123456789'], signing_keys: { k1: SIGNING_SECRET }, failure_limit_per_minute: FAILURE_LIMIT },
        // Lets a test stand for other client addresses (X-Forwarded-For) without locking out 127.0.0.1.
        server: { trust_proxy: ['127.0.0.1'] },
      });
      [a, b, c] = nodes as [TestServer, TestServer, TestServer];
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await cleanup();
    });

    it('a publish to one node reaches subscribers on every node exactly once, in offset order', async () => {
      const ch = channel();
      const clients = await Promise.all(nodes.map((node) => TestClient.connect(node.wsUrl)));
      await Promise.all(clients.map((client) => client.subscribe(ch)));
      for (let i = 1; i <= 20; i++) assert.equal((await publish(a, ch, i)).status, 200);
      // A last publish through another node: once it arrived, anything duplicated would have too.
      await publish(c, ch, 'end');
      for (const client of clients) {
        const msgs = await client.waitForMessages(21, ch);
        await client.waitFor((f) => f.type === 'message' && f.data === 'end');
        assert.deepEqual(client.messages(ch).map((m) => m.offset), Array.from({ length: 21 }, (_, i) => i + 1));
        assert.deepEqual(msgs.slice(0, 20).map((m) => m.data), Array.from({ length: 20 }, (_, i) => i + 1));
        client.close();
      }
    });

    it('concurrent publishes through two nodes get gap-free, duplicate-free offsets', async () => {
      const ch = channel();
      const watcher = await TestClient.connect(c.wsUrl);
      await watcher.subscribe(ch);
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => publish(i % 2 === 0 ? a : b, ch, i)));
      assert.ok(results.every((r) => r.status === 200));
      const offsets = results.map((r) => r.json.offset as number).sort((x, y) => x - y);
      assert.deepEqual(offsets, Array.from({ length: 60 }, (_, i) => i + 1));
      assert.equal(new Set(results.map((r) => r.json.epoch)).size, 1);
      const msgs = await watcher.waitForMessages(60, ch);
      assert.deepEqual(msgs.map((m) => m.offset), offsets, 'delivered in offset order');
      watcher.close();
    });

    it('a client that moves from node A to node C recovers what it missed', async () => {
      const ch = channel();
      const before = await TestClient.connect(a.wsUrl);
      await before.subscribe(ch);
      await publish(b, ch, 'seen-1');
      await publish(b, ch, 'seen-2');
      const seen = await before.waitForMessages(2, ch);
      const last = seen[1]!;
      before.close();
      await before.closed;
      for (let i = 1; i <= 5; i++) await publish(b, ch, `missed-${i}`);
      const moved = await TestClient.connect(c.wsUrl);
      const result = await moved.subscribe(ch, { offset: last.offset, epoch: last.epoch });
      assert.deepEqual([result.recovered, result.offset], [true, 7]);
      await publish(a, ch, 'live');
      const msgs = await moved.waitForMessages(6, ch);
      assert.deepEqual(msgs.map((m) => m.data), ['missed-1', 'missed-2', 'missed-3', 'missed-4', 'missed-5', 'live']);
      moved.close();
    });

    it("data published on one node reaches another's WebSocket, SSE, long-poll and history byte-exact", () => assertByteExact(a, b, channel()));

    it('history is the same from every node', async () => {
      const ch = channel();
      for (let i = 1; i <= 3; i++) await publish(nodes[i - 1]!, ch, i);
      for (const node of nodes) {
        const res = await api(node, `/api/channels/${ch}/history`);
        assert.deepEqual((res.json.publications as Array<{ data: number }>).map((p) => p.data), [1, 2, 3]);
      }
    });

    it('a signed request replayed to another node is refused (nonces are shared)', async () => {
      const body = JSON.stringify({ channel: channel(), data: 1 });
      const header = signRequest({ method: 'POST', target: '/api/publish', body, keyId: 'k1', secret: SIGNING_SECRET });
      const send = (node: TestServer) => api(node, '/api/publish', { rawBody: body, headers: { 'x-herald-signature': header, 'content-type': 'application/json', authorization: '' } });
      assert.equal((await send(a)).status, 200);
      const replay = await send(b);
      assert.equal(replay.status, 401);
      assert.equal((replay.json.error as { reason?: string }).reason, 'replayed_request');
    });

    it('an Idempotency-Key retried on other nodes, even at the same time, publishes once', async () => {
      const ch = channel();
      const send = (node: TestServer) => api(node, '/api/publish', { body: { channel: ch, data: 'once' }, headers: { 'idempotency-key': `idem-${ch}` } });
      const answers = [...(await Promise.all([send(a), send(b)])), await send(c)];
      for (const answer of answers) assert.deepEqual([answer.status, answer.json], [200, answers[0]!.json]);
      const history = await api(c, `/api/channels/${ch}/history`);
      assert.deepEqual((history.json.publications as Array<{ data: string }>).map((p) => p.data), ['once']);
    });

    it('counts failed authentications from one address across nodes', async () => {
      const attempt = (node: TestServer) =>
        api(node, '/api/publish', { body: { channel: channel(), data: 1 }, headers: { authorization: 'Bearer wrong-key-0123456789', 'x-forwarded-for': '203.0.113.9' } });
      // Round robin over the nodes until each has refused once. Counted per node, that takes
      // FAILURE_LIMIT failures on every node; shared, each node learns the cluster's count with its
      // next failure, so at most one more per node (plus one per node for a count still on its way).
      // The loop may run past FAILURE_LIMIT per node (a loaded engine answers late): the bound on
      // failures let through below is what tells shared counting from per-node counting.
      let failures = 0;
      const refusing = new Set<TestServer>();
      for (let i = 0; refusing.size < 3 && i < FAILURE_LIMIT * 6; i++) {
        const node = nodes[i % 3]!;
        const { status } = await attempt(node);
        if (status === 429) refusing.add(node);
        else failures += Number(status === 401);
      }
      assert.equal(refusing.size, 3, 'every node refuses the address');
      assert.ok(failures <= FAILURE_LIMIT + 6, `${failures} failures let through`);
      const refused = await Promise.all(nodes.map(attempt));
      assert.deepEqual(refused.map((r) => r.status), [429, 429, 429]);
    });

    it('/readyz names the engine on every node', async () => {
      for (const node of nodes) {
        const res = await api(node, '/readyz');
        assert.deepEqual([res.status, res.json.status, res.json.engine], [200, 'ready', name]);
      }
    });
  });
}
