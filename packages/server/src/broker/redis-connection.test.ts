import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { createRedisConnection, parseRedisUrl } from './redis-connection.js';

describe('parseRedisUrl', () => {
  it('reads standalone URLs', () => {
    assert.deepEqual(parseRedisUrl('redis://:s3cret@10.0.0.5:6380/2'), { kind: 'server', options: { host: '10.0.0.5', port: 6380, password: 's3cret', db: 2 } });
    assert.deepEqual(parseRedisUrl('rediss://user:pw@cache'), { kind: 'server', options: { host: 'cache', port: 6379, username: 'user', password: 'pw', tls: {} } });
  });

  it('reads Sentinel URLs', () => {
    assert.deepEqual(parseRedisUrl('redis-sentinel://:pw@s1:26379,s2/mymaster'), {
      kind: 'server',
      options: { sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster', password: 'pw', sentinelPassword: 'pw' },
    });
  });

  it('reads Cluster URLs: seed nodes and credentials', () => {
    assert.deepEqual(parseRedisUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002,cache'), {
      kind: 'cluster',
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }, { host: 'cache', port: 6379 }],
      options: {},
    });
    assert.deepEqual(parseRedisUrl('redis-cluster://herald:p%40ss@n1:7000/'), { kind: 'cluster', nodes: [{ host: 'n1', port: 7000 }], options: { username: 'herald', password: 'p@ss' } });
    assert.deepEqual(parseRedisUrl('redis-cluster://:pw@n1:7000').options, { password: 'pw' });
  });

  it('refuses other schemes and malformed host lists', () => {
    assert.throws(() => parseRedisUrl('http://x'), /unsupported Redis URL/);
    assert.throws(() => parseRedisUrl('redis-cluster://n1:7000,,n2:7001'), /bad Redis host ""/);
    assert.throws(() => parseRedisUrl('redis-cluster://n1:port'), /bad Redis host "n1:port"/);
  });
});

describe('createRedisConnection', () => {
  it('makes a Redis for a server URL and a Cluster for a cluster URL, neither connected yet', async () => {
    const server = createRedisConnection('redis://127.0.0.1:1', { name: 't', timeoutMs: 100 });
    const cluster = createRedisConnection('redis-cluster://127.0.0.1:1,127.0.0.1:2', { name: 't', timeoutMs: 100 });
    try {
      assert.ok(server instanceof Redis && !(server instanceof Cluster));
      assert.ok(cluster instanceof Cluster);
      assert.deepEqual([server.status, cluster.status], ['wait', 'wait']);
      // Nothing is queued while not connected: a command fails at once.
      await assert.rejects(server.get('k'));
      await assert.rejects(cluster.get('k'));
    } finally {
      server.disconnect();
      cluster.disconnect();
    }
  });
});
