/**
 * Engine failures with NATS: a private nats-server child per test (never the machine's shared
 * one), frozen with SIGSTOP or killed and restarted on its own JetStream directory.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { api, publish, TestClient, type TestServer } from './helpers.js';
import { ready, startNodes } from './multi-node.js';
import { PrivateNats, until } from './services.js';

describe('nats outages', () => {
  let nats: PrivateNats | undefined;
  let nodes: TestServer[] = [];
  afterEach(async () => {
    nats?.thaw();
    await Promise.all(nodes.map((node) => node.close()));
    nodes = [];
    await nats?.kill();
  });

  async function cluster(): Promise<[TestServer, TestServer]> {
    nats = await PrivateNats.start();
    nodes = await startNodes(2, { type: 'nats', nats: { servers: [nats.url] }, heartbeat_interval_seconds: 0.1, timeout_seconds: 1 });
    return [nodes[0]!, nodes[1]!];
  }

  it('a frozen server (SIGSTOP): heartbeats stop, /readyz turns red, the connection is re-made and delivery resumes', async () => {
    const [a, b] = await cluster();
    const client = await TestClient.connect(b.wsUrl);
    await client.subscribe('frozen');
    await publish(a, 'frozen', 'before');
    await client.waitForMessages(1, 'frozen');
    nats!.freeze();
    await until(async () => {
      const res = await api(b, '/readyz');
      return res.status === 503 && /heartbeat|disconnected/.test(String(res.json.reason));
    }, '/readyz to report the stalled engine');
    assert.equal((await publish(a, 'frozen', 'during')).status, 503);
    nats!.thaw();
    await until(async () => (await ready(a)) && (await ready(b)), 'both nodes ready after the thaw');
    await publish(a, 'frozen', 'after');
    await client.waitFor((f) => f.type === 'message' && f.data === 'after');
    // The refused publish timed out while NATS was frozen, so it may have been stored after all.
    const msgs = client.messages('frozen');
    assert.deepEqual(msgs.map((m) => m.data).filter((d) => d !== 'during'), ['before', 'after']);
    assert.deepEqual(msgs.map((m) => m.offset), [...msgs.keys()].map((i) => i + 1), 'offsets stay gap-free');
  });

  it('NATS dies and comes back with its streams: 503 meanwhile, clients stay connected and miss nothing', async () => {
    const [a, b] = await cluster();
    const client = await TestClient.connect(b.wsUrl);
    await client.subscribe('restart');
    const first = await publish(a, 'restart', 'before');
    await client.waitForMessages(1, 'restart');

    await nats!.kill();
    await until(async () => !(await ready(a)) && !(await ready(b)), 'both nodes not ready');
    const refused = await publish(a, 'restart', 'during');
    assert.equal(refused.status, 503);
    assert.match(refused.json.error!.message, /nats engine is unavailable/);

    await nats!.restart();
    await until(async () => (await ready(a)) && (await ready(b)), 'both nodes ready after NATS is back');
    const after = await publish(a, 'restart', 'after');
    assert.deepEqual([after.status, after.json.offset, after.json.epoch], [200, 2, first.json.epoch], 'the stream survived: same epoch, next offset');
    const msgs = await client.waitForMessages(2, 'restart');
    assert.deepEqual(msgs.map((m) => m.data), ['before', 'after']);
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });
});
