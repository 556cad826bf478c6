import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteRedisKeys, REDIS_URL as URL, uniquePrefix } from '../test/services.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { toRawJson } from '../json/raw.js';
import { brokerConformance, RecordingHandler, waitFor } from './conformance.js';
import { controlStateConformance } from './control-conformance.js';
import { RedisBroker } from './redis.js';

const PREFIX = uniquePrefix();
const options = { url: URL, prefix: PREFIX, metaTtlMs: 60_000, commandTimeoutMs: 2000 };
after(() => deleteRedisKeys(URL, PREFIX));

brokerConformance('redis', () => new RedisBroker(options), {
  shared: true,
  publishOnce: true,
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

describe('redis engine: publish under an idempotency key', () => {
  it('records the answer in the same step, and a second publish under it publishes nothing', async () => {
    const broker = new RedisBroker(options);
    const handler = new RecordingHandler();
    await broker.start(handler);
    const store = broker.idempotencyStore();
    try {
      const h = { size: 10, ttlMs: 60_000 };
      await broker.subscribe('once');
      const once = { id: 'once-test-id', ttlMs: 60_000 };
      // The first attempt's node dies after publishing, before recording its answer: its claim stays pending.
      assert.deepEqual(await store.claim(once.id, 100), { state: 'claimed' });
      const first = await broker.publish('once', { data: toRawJson(1) }, h, once);
      const answered = await store.claim(once.id);
      assert.equal(answered.state, 'done', 'the answer was recorded by the publish itself');
      assert.deepEqual(JSON.parse((answered as { result: string }).result), { channel: 'once', ...first });
      const again = await broker.publish('once', { data: toRawJson(1) }, h, once);
      assert.deepEqual(again, first);
      await broker.publish('once', { data: toRawJson(2) }, h);
      await waitFor(() => handler.on('once').length === 2);
      assert.deepEqual(handler.on('once').map((p) => p.data), ['1', '2'], 'published once');
    } finally {
      await broker.close();
    }
  });

  it('releasing the claim of a publish whose reply was lost (an engine timeout) keeps its answer: a retry publishes nothing', async () => {
    const broker = new RedisBroker(options);
    const handler = new RecordingHandler();
    await broker.start(handler);
    const store = broker.idempotencyStore();
    try {
      const h = { size: 10, ttlMs: 60_000 };
      await broker.subscribe('lost-reply');
      const once = { id: 'lost-reply-id', ttlMs: 60_000 };
      assert.deepEqual(await store.claim(once.id), { state: 'claimed' });
      const first = await broker.publish('lost-reply', { data: toRawJson(1) }, h, once);
      await store.release(once.id); // what api/idempotency.ts does when the publish's reply timed out
      assert.equal((await store.claim(once.id)).state, 'done', 'the answer outlives the release');
      assert.deepEqual(await broker.publish('lost-reply', { data: toRawJson(1) }, h, once), first);
      // A claim without an answer is released as before.
      assert.deepEqual(await store.claim('lost-reply-other'), { state: 'claimed' });
      await store.release('lost-reply-other');
      assert.deepEqual(await store.claim('lost-reply-other'), { state: 'claimed' });
      await broker.publish('lost-reply', { data: toRawJson(2) }, h);
      await waitFor(() => handler.on('lost-reply').length === 2);
      assert.deepEqual(handler.on('lost-reply').map((p) => p.data), ['1', '2'], 'published once');
    } finally {
      await broker.close();
    }
  });
});
