/**
 * `herald sources migrate` and `herald sources test` as a user runs them, against the real
 * PostgreSQL and Redis: migrate creates what the sources read, the dry run shows what would be
 * published and leaves every record where it was.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { stringify } from 'yaml';
import { childEnv } from '../test/helpers.js';
import { PG_URL, REDIS_URL } from '../test/services.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'herald-sources-cli-'));
const schema = `hrldtest_${randomBytes(5).toString('hex')}`;
const stream = `${schema}:events`;
const file = join(dir, 'herald.yaml');
writeFileSync(
  file,
  stringify({
    namespaces: { default: {}, orders: {} },
    sources: {
      outbox: { type: 'postgres', postgres: { url: PG_URL, table: `${schema}.herald_outbox` } },
      events: { type: 'redis_stream', channel: 'orders:{order}', redis_stream: { url: REDIS_URL, streams: [stream] } },
    },
  }),
);
const redis = new Redis(REDIS_URL);
const db = new pg.Client({ connectionString: PG_URL });

after(async () => {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await db.end();
  await redis.del(stream);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const herald = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, 'sources', ...args, '--config', file], { env: childEnv(), timeout: 20_000 });

it('herald sources migrate creates the outbox and the consumer group; herald sources test shows records without taking them', async () => {
  const migrated = await herald('migrate');
  assert.equal(migrated.stdout, 'outbox: ready (postgres)\nevents: ready (redis_stream)\n');
  await herald('migrate', 'outbox'); // again: nothing breaks
  await db.connect();
  await db.query(`SELECT ${schema}.herald_publish('orders:1', '{"total": 10}', 'paid', 'order-1-paid')`);
  await db.query(`INSERT INTO ${schema}.herald_outbox (channel, data) VALUES ('nope:1', '{}'), ('orders:2', '{"a":')`);
  const outbox = (await herald('test', 'outbox')).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(outbox[0], { record: outbox[0]!.record, channel: 'orders:1', event: 'paid', data: { total: 10 }, idempotency_key: 'order-1-paid' });
  assert.match(String(outbox[1]!.dead_letter), /^unknown_channel: namespace "nope"/);
  assert.match(String(outbox[2]!.dead_letter), /^bad_json: /);
  assert.equal((await db.query(`SELECT count(*)::int AS n FROM ${schema}.herald_outbox`)).rows[0].n, 3, 'the dry run left every row');

  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  assert.equal(groups.length, 1, 'migrate created the consumer group');
  const id = await redis.xadd(stream, '*', 'order', '7', 'data', '{"status":"shipped"}', 'event', 'shipped');
  const events = (await herald('test', 'events', '--limit', '5')).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events, [{ record: `${stream}/${id}`, channel: 'orders:7', event: 'shipped', data: { status: 'shipped' }, idempotency_key: `events.${createHash('sha256').update(`${stream}/${id}`).digest('base64url')}` }]);
  const pending = (await redis.xpending(stream, 'herald')) as [number, ...unknown[]];
  assert.equal(pending[0], 0, 'nothing was delivered to the group');
  await assert.rejects(herald('test', 'missing'), (err: { code: number; stderr: string }) => err.code === 2 && err.stderr.includes('no source "missing"'));
});
