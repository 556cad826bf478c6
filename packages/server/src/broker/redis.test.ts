import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteRedisKeys, REDIS_URL as URL, uniquePrefix } from '../test/services.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { toRawJson } from '../json/raw.js';
import { brokerConformance, RecordingHandler } from './conformance.js';
import { controlStateConformance } from './control-conformance.js';
import { RedisBroker } from './redis.js';

const PREFIX = uniquePrefix();
const options = { url: URL, prefix: PREFIX, metaTtlMs: 60_000, commandTimeoutMs: 2000 };
after(() => deleteRedisKeys(URL, PREFIX));

brokerConformance('redis', () => new RedisBroker(options), {
  shared: true,
  unreachable: () => new RedisBroker({ ...options, url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 }),
});
presenceStoreConformance('redis', () => new RedisBroker(options));

describe('redis engine', () => {
  it('starts a new epoch when the stream meta is lost', async () => {
    const broker = new RedisBroker(options);
    await broker.start(new RecordingHandler());
    const redis = new Redis(URL);
    try {
      const h = { size: 10, ttlMs: 60_000 };
      const first = await broker.publish('lost', { data: toRawJson(1) }, h);
      await broker.publish('lost', { data: toRawJson(2) }, h);
      await redis.del(`${PREFIX}:{lost}:meta`);
      const after = await broker.publish('lost', { data: toRawJson(3) }, h);
      assert.equal(after.offset, 1);
      assert.notEqual(after.epoch, first.epoch);
      const history = await broker.history('lost', { limit: 10 }, h);
      assert.deepEqual(history.publications.map((p) => p.data), ['3'], 'entries of the old epoch are gone');
    } finally {
      await broker.close();
      await redis.quit();
    }
  });
});
controlStateConformance('redis', () => new RedisBroker(options));
