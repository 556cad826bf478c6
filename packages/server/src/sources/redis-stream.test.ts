import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { REDIS_URL } from '../test/services.js';
import { sourceConformance, type SourcePlace, type TestRecord } from './conformance.js';
import { RedisStreamSource } from './redis-stream.js';

/** Two streams, each channel always written to the same one (as docs/sources.md advises), so two nodes share the work. */
async function streams(name: string): Promise<SourcePlace> {
  const base = `hrldtest_${randomBytes(5).toString('hex')}`;
  const keys = [`${base}:s0`, `${base}:s1`];
  const config = { type: 'redis_stream', redis_stream: { url: REDIS_URL, streams: keys, lease_seconds: 1, block_ms: 200 } };
  const parsed = loadConfig({ object: { sources: { [name]: config } }, env: {} }).sources[name]!;
  await new RedisStreamSource(name, parsed, pino({ level: 'silent' })).migrate();
  const redis = new Redis(REDIS_URL);
  const streamOf = (channel: string) => keys[createHash('sha1').update(channel).digest()[0]! % keys.length]!;
  return {
    config,
    async write(records: TestRecord[]) {
      const pipeline = redis.pipeline();
      for (const r of records) {
        const fields = ['channel', r.channel, 'data', r.data];
        if (r.event !== undefined) fields.push('event', r.event);
        if (r.key !== undefined) fields.push('idempotency_key', r.key);
        pipeline.xadd(streamOf(r.channel), '*', ...fields);
      }
      await pipeline.exec();
    },
    async deadLetters() {
      const reasons: string[] = [];
      for (const key of keys) {
        for (const [, flat] of await redis.xrange(`${key}:dead`, '-', '+')) reasons.push(flat[flat.indexOf('reason') + 1]!);
      }
      return reasons;
    },
    async cutConnections(source) {
      const list = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=herald-source:${source}`))
        .map((line) => /\bid=(\d+)/.exec(line)![1]!);
      for (const id of ids) await redis.call('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    },
    async remove() {
      const all = await redis.keys(`${base}:*`);
      if (all.length > 0) await redis.del(...all);
      redis.disconnect();
    },
  };
}

sourceConformance('redis streams', { place: streams });
