/**
 * The Redis engine on a Redis Cluster: a private three-master cluster (redis-server children on
 * free loopback ports, never the machine's shared Redis) runs the engine and presence store
 * conformance suites, then carries publications between two Herald nodes for channels that live
 * on different masters, and last loses a node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brokerConformance, RecordingHandler, waitFor } from '../broker/conformance.js';
import { RedisBroker } from '../broker/redis.js';
import { toRawJson } from '../json/raw.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { connectRedis, createRedisConnection, reconnected } from '../broker/redis-connection.js';
import { api, publish, TestClient, type TestServer } from './helpers.js';
import { startNodes } from './multi-node.js';
import { PrivateRedisCluster, uniquePrefix, until } from './services.js';

const prefix = uniquePrefix();
let cluster: PrivateRedisCluster | undefined;
before(async () => {
  cluster = await PrivateRedisCluster.start();
});
after(() => cluster?.stop());

const broker = () => new RedisBroker({ url: cluster!.url, prefix, metaTtlMs: 60_000, commandTimeoutMs: 2000 });

brokerConformance('redis cluster', broker, { shared: true });
presenceStoreConformance('redis cluster', broker);

describe('redis cluster connection', () => {
  const connect = async () => {
    const conn = createRedisConnection(cluster!.url, { name: 'herald-test', timeoutMs: 2000 });
    conn.on('error', () => {});
    await connectRedis(conn);
    return conn;
  };
  const burst = (conn: Awaited<ReturnType<typeof connect>>, tag: string) =>
    Promise.all(Array.from({ length: 60 }, (_, i) => conn.set(`${prefix}:{${tag}${i}}:burst`, '1', 'PX', 60_000)));

  it('is connected with every master connection open: a burst of commands to all slots goes through, after a reconnect too', async () => {
    const conn = await connect();
    try {
      assert.equal(conn.status, 'ready');
      assert.ok((await burst(conn, 'a')).every((r) => r === 'OK'));
      const back = reconnected(conn);
      conn.disconnect(true);
      await back;
      assert.ok((await burst(conn, 'b')).every((r) => r === 'OK'));
    } finally {
      conn.disconnect();
    }
  });

  it('fails a command whose connection dropped instead of sending it again', async () => {
    const conn = await connect();
    try {
      const port = await cluster!.masterOf('{dropped}');
      const master = cluster!.nodes.find((node) => node.port === port)!;
      // Re-sent, the BLPOP would wait its 5 s out and answer null.
      const failed = assert.rejects(conn.blpop(`${prefix}:{dropped}:list`, 5), /Connection is closed/);
      await until(async () => Number(await master.send('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')) > 0, 'the BLPOP connection killed', 2000);
      await failed;
    } finally {
      conn.disconnect();
    }
  });
});

describe('two nodes on a redis cluster', () => {
  let nodes: TestServer[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const client of clients) client.close();
    await Promise.all(nodes.map((node) => node.close()));
  });

  it('a publish on one node reaches a subscriber on the other, for channels on every master', async () => {
    nodes = await startNodes(2, { type: 'redis', prefix, redis: { url: cluster!.url } });
    const [a, b] = nodes as [TestServer, TestServer];
    const channels = await channelPerMaster(cluster!);
    assert.equal(channels.length, 3);
    // Each node's pub/sub connection is on one master: publications of the other masters' channels
    // reach it over the cluster bus.
    const [onA, onB] = await Promise.all([TestClient.connect(a.wsUrl), TestClient.connect(b.wsUrl)]);
    clients.push(onA, onB);
    for (const ch of channels) await Promise.all([onA.subscribe(ch), onB.subscribe(ch)]);
    for (let i = 1; i <= 5; i++) for (const ch of channels) assert.equal((await publish(i % 2 ? a : b, ch, i)).status, 200);
    for (const client of [onA, onB]) {
      for (const ch of channels) {
        const msgs = await client.waitForMessages(5, ch);
        assert.deepEqual(msgs.map((m) => [m.offset, m.data]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], `${ch}: every publication once, in order`);
      }
    }
    const history = await api(b, `/api/channels/${channels[2]}/history`);
    assert.deepEqual((history.json.publications as Array<{ data: number }>).map((p) => p.data), [1, 2, 3, 4, 5]);
  });
});

// Last: the cluster is left with a dead master.
describe('redis cluster node failure', () => {
  it('the pub/sub connection moves to another node when its node dies, re-subscribes, and the node is told', async () => {
    const [first, ...others] = cluster!.nodes;
    const channels = await channelPerMaster(cluster!);
    const masters = await Promise.all(channels.map((ch) => cluster!.masterOf(`{${ch}}`)));
    const live = channels.filter((_, i) => masters[i] !== first!.port);
    assert.equal(live.length, others.length, 'one channel on each master that stays up');
    const engine = broker();
    const handler = new RecordingHandler();
    await engine.start(handler);
    try {
      for (const ch of live) await engine.subscribe(ch);
      await waitFor(() => handler.resubscribed === 1);
      // The pub/sub connection starts on the first seed node.
      await first!.kill();
      await waitFor(() => handler.resubscribed === 2);
      for (const ch of live) await engine.publish(ch, { data: toRawJson('after') }, { size: 10, ttlMs: 60_000 });
      await waitFor(() => live.every((ch) => handler.on(ch).length === 1));
    } finally {
      await engine.close();
    }
  });
});

/** One channel name per master: its keys (`<prefix>:{<channel>}:…`) hash to that master's slots. */
async function channelPerMaster(cluster: PrivateRedisCluster): Promise<string[]> {
  const byMaster = new Map<number, string>();
  for (let i = 0; byMaster.size < cluster.nodes.length && i < 1000; i++) {
    const channel = `spread${i}`;
    const master = await cluster.masterOf(`{${channel}}`);
    if (!byMaster.has(master)) byMaster.set(master, channel);
  }
  return [...byMaster.values()];
}
