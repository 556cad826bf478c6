import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteRedisKeys, REDIS_URL as URL, uniquePrefix } from '../test/services.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { brokerConformance, RecordingHandler } from './conformance.js';
import { RedisBroker, redisConnectionOptions } from './redis.js';

const PREFIX = uniquePrefix();
const options = { url: URL, prefix: PREFIX, metaTtlMs: 60_000, commandTimeoutMs: 2000 };
after(() => deleteRedisKeys(URL, PREFIX));

brokerConformance('redis', () => new RedisBroker(options), { shared: true });
presenceStoreConformance('redis', () => new RedisBroker(options));

describe('redis engine', () => {
  it('shares signed-request nonces between nodes (SET NX PX)', async () => {
    const [a, b] = [new RedisBroker(options), new RedisBroker(options)];
    await Promise.all([a.start(new RecordingHandler()), b.start(new RecordingHandler())]);
    try {
      const key = `k:${randomBytes(6).toString('hex')}`;
      assert.equal(await a.replayCache().claim(key, 5000), true);
      assert.equal(await b.replayCache().claim(key, 5000), false, 'another node sees the nonce as used');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('starts a new epoch when the stream meta is lost', async () => {
    const broker = new RedisBroker(options);
    await broker.start(new RecordingHandler());
    const redis = new Redis(URL);
    try {
      const h = { size: 10, ttlMs: 60_000 };
      const first = await broker.publish('lost', { data: 1 }, h);
      await broker.publish('lost', { data: 2 }, h);
      await redis.del(`${PREFIX}:{lost}:meta`);
      const after = await broker.publish('lost', { data: 3 }, h);
      assert.equal(after.offset, 1);
      assert.notEqual(after.epoch, first.epoch);
      const history = await broker.history('lost', { limit: 10 }, h);
      assert.deepEqual(history.publications.map((p) => p.data), [3], 'entries of the old epoch are gone');
    } finally {
      await broker.close();
      await redis.quit();
    }
  });

  it('fails fast with unavailable when Redis cannot be reached, and reports not connected', async () => {
    const broker = new RedisBroker({ ...options, url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 });
    await broker.start(new RecordingHandler());
    try {
      assert.equal(broker.connected, false);
      await assert.rejects(broker.publish('x', { data: 1 }, { size: 1, ttlMs: 1000 }), (err: Error & { code?: string }) => err.code === 'unavailable' && /redis engine is unavailable/.test(err.message));
      await assert.rejects(broker.subscribe('x'), (err: Error & { code?: string }) => err.code === 'unavailable');
    } finally {
      await broker.close();
    }
  });

  it('reads standalone and Sentinel URLs', () => {
    assert.deepEqual(redisConnectionOptions('redis://:s3cret@10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, password: 's3cret', db: 2 });
    assert.deepEqual(redisConnectionOptions('rediss://user:pw@cache'), { host: 'cache', port: 6379, username: 'user', password: 'pw', tls: {} });
    assert.deepEqual(redisConnectionOptions('redis-sentinel://:pw@s1:26379,s2/mymaster'), {
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
      name: 'mymaster',
      password: 'pw',
      sentinelPassword: 'pw',
    });
    assert.throws(() => redisConnectionOptions('http://x'), /unsupported Redis URL/);
  });
});
