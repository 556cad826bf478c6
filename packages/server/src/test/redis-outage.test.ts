/**
 * Engine failures with Redis: a private redis-server child per test (never the machine's shared
 * one) that is paused, has its pub/sub connections killed, or is killed and restarted.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { api, capturingLogger, publish, startServer, TestClient, type TestServer } from './helpers.js';
import { ready, startNodes } from './multi-node.js';
import { PrivateRedis, until } from './services.js';

describe('redis outages', () => {
  let redis: PrivateRedis | undefined;
  let nodes: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    nodes = [];
    await redis?.kill();
  });

  /** Two nodes on a private Redis, heartbeats every 100 ms so stalls show within a second. */
  async function cluster(options: { logger?: ReturnType<typeof capturingLogger>['logger'] } = {}): Promise<[TestServer, TestServer]> {
    redis = await PrivateRedis.start();
    const engine = { type: 'redis', redis: { url: redis.url }, heartbeat_interval_seconds: 0.1, timeout_seconds: 1 };
    nodes = await startNodes(2, engine);
    if (options.logger) {
      // A third node whose log the test reads.
      const node = await startServer({ engine }, { logger: options.logger });
      nodes.push(node);
      await until(() => ready(node), 'the logged node ready');
    }
    return [nodes[0]!, nodes[1]!];
  }

  it('pub/sub connections killed (CLIENT KILL TYPE pubsub): nodes resubscribe and fill the gap from history', async () => {
    const [a, b] = await cluster();
    const client = await TestClient.connect(b.wsUrl);
    await client.subscribe('kill');
    await publish(a, 'kill', 1);
    await client.waitForMessages(1, 'kill');
    await redis!.send('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // Published while node B may still be reconnecting: pub/sub would lose these, history does not.
    for (let i = 2; i <= 6; i++) assert.equal((await publish(a, 'kill', i)).status, 200);
    await until(() => ready(b), 'node B ready again');
    await publish(a, 'kill', 7);
    const msgs = await client.waitForMessages(7, 'kill');
    assert.deepEqual(msgs.map((m) => m.data), [1, 2, 3, 4, 5, 6, 7], 'every publication once, in order');
    assert.deepEqual(msgs.map((m) => m.offset), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('a pub/sub that stops delivering (CLIENT PAUSE WRITE) turns /readyz red, is re-made, and delivery resumes', async () => {
    const { logger, lines } = capturingLogger();
    const [a] = await cluster({ logger });
    const watched = nodes[2]!;
    const client = await TestClient.connect(watched.wsUrl);
    await client.subscribe('pause');
    await publish(a, 'pause', 'before');
    await client.waitForMessages(1, 'pause');
    // Connections stay open but no PUBLISH runs: heartbeats stop coming back.
    await redis!.send('CLIENT', 'PAUSE', '1500', 'WRITE');
    await until(async () => {
      const res = await api(watched, '/readyz');
      return res.status === 503 && /heartbeat/.test(String(res.json.reason));
    }, '/readyz to report the stalled pub/sub');
    await until(() => ready(watched), '/readyz ready again after the pause');
    assert.ok(lines.some((l) => l.includes('re-creating every subscription')), 'the stall triggered a resubscribe');
    await publish(a, 'pause', 'after');
    const msgs = await client.waitForMessages(2, 'pause');
    assert.deepEqual(msgs.map((m) => m.data), ['before', 'after']);
  });

  it('Redis dies and comes back empty: no node crashes, clients stay, publishes get 503, then clients recover and delivery resumes', async () => {
    const [a, b] = await cluster();
    const client = await TestClient.connect(b.wsUrl);
    await client.subscribe('restart');
    const first = await publish(a, 'restart', 'before');
    await client.waitForMessages(1, 'restart');

    await redis!.kill();
    await until(async () => !(await ready(a)) && !(await ready(b)), 'both nodes not ready');
    const readyz = await api(a, '/readyz');
    assert.deepEqual([readyz.json.status, readyz.json.engine], ['unavailable', 'redis']);
    assert.match(String(readyz.json.reason), /disconnected/);
    const refused = await publish(a, 'restart', 'during');
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error?.code, 'unavailable');
    assert.match(refused.json.error!.message, /redis engine is unavailable/);
    const subscribeDuring = await client.request({ type: 'subscribe', channel: 'other' });
    assert.equal((subscribeDuring as { error?: { code: string } }).error?.code, 'unavailable');
    assert.equal(client.ws.readyState, client.ws.OPEN, 'clients stay connected');

    await redis!.restart();
    await until(async () => (await ready(a)) && (await ready(b)), 'both nodes ready after Redis is back');
    // Redis lost its data, so node B can no longer vouch for the stream: it asks its client to recover.
    const closed = await client.closed;
    assert.equal(closed.code, 1012);
    const back = await TestClient.connect(b.wsUrl);
    const last = client.messages('restart')[0]!;
    const recovery = await back.subscribe('restart', { offset: last.offset, epoch: last.epoch });
    assert.deepEqual([recovery.recovered, recovery.reason], [false, 'epoch_changed']);
    const after = await publish(a, 'restart', 'after');
    assert.equal(after.status, 200);
    assert.notEqual(after.json.epoch, first.json.epoch);
    const [msg] = await back.waitForMessages(1, 'restart');
    assert.deepEqual([msg!.data, msg!.epoch], ['after', after.json.epoch]);
    back.close();
  });
});
