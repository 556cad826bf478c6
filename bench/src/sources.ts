/**
 * @module sources
 * Publish-source throughput: records per second into Herald from a PostgreSQL outbox and from
 * Redis Streams, with 1 and 2 `herald serve` nodes (one process each, Redis engine). Each run
 * starts the nodes on a fresh outbox schema / set of streams, writes the whole batch at once
 * (one INSERT, one pipeline of XADDs), and times from the start of that write until the source
 * reports nothing left (outbox empty; consumer group lag and pending 0). Nothing else is timed.
 *
 *   npm run bench:sources -- [--records 20000] [--channels 16] [--runs 2] [--sources postgres,redis_stream] [--nodes 1,2]
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from './harness.js';
import { sourceBenchArgs } from './source-args.js';
import { sourceNodeConfig, startSourceNode } from './source-nodes.js';
import { HERALD_BIN } from './targets.js';
import { deleteKeys, REDIS_URL } from './redis.js';

const PG_URL = process.env.HERALD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAMS = 4;

const args = sourceBenchArgs({ records: '20000', sources: 'postgres,redis_stream' });
const RECORDS = args.records;
const CHANNELS = args.channels;
const RUNS = args.runs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Medium {
  source: Record<string, unknown>;
  write(records: Array<{ channel: string; data: string }>): Promise<void>;
  left(): Promise<number>;
  remove(): Promise<void>;
}

async function outbox(tag: string): Promise<Medium> {
  const schema = `hrldbench_${tag}`;
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  return {
    source: { type: 'postgres', postgres: { url: PG_URL, table: `${schema}.herald_outbox` } },
    write: async (records) =>
      void (await db.query(`INSERT INTO ${schema}.herald_outbox (channel, event, data) SELECT c, 'e', d FROM unnest($1::text[], $2::text[]) AS r(c, d)`, [records.map((r) => r.channel), records.map((r) => r.data)])),
    left: async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.herald_outbox`)).rows[0]!.n,
    remove: async () => {
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    },
  };
}

async function streams(tag: string): Promise<Medium> {
  const keys = Array.from({ length: STREAMS }, (_, i) => `hrldbench_${tag}:s${i}`);
  const redis = new Redis(REDIS_URL);
  const streamOf = (channel: string) => keys[Number(channel.split('_').pop()) % keys.length]!;
  return {
    source: { type: 'redis_stream', redis_stream: { url: REDIS_URL, streams: keys, lease_seconds: 2 } },
    async write(records) {
      const pipeline = redis.pipeline();
      for (const r of records) pipeline.xadd(streamOf(r.channel), '*', 'channel', r.channel, 'event', 'e', 'data', r.data);
      await pipeline.exec();
    },
    async left() {
      let n = 0;
      for (const key of keys) {
        const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
        const g = groups[0] ?? [];
        const field = (name: string) => Number(g[g.indexOf(name) + 1] ?? 0);
        n += field('lag') + field('pending');
      }
      return n;
    },
    async remove() {
      const all = await redis.keys(`hrldbench_${tag}:*`);
      if (all.length > 0) await redis.del(...all);
      redis.disconnect();
    },
  };
}

async function runOnce(kind: 'postgres' | 'redis_stream', nodes: number, dir: string): Promise<{ seconds: number; rate: number }> {
  const tag = randomBytes(4).toString('hex');
  const medium = kind === 'postgres' ? await outbox(tag) : await streams(tag);
  const prefix = `hrldbench_${tag}`;
  const file = join(dir, `${tag}.yaml`);
  writeFileSync(file, JSON.stringify(sourceNodeConfig(0, prefix, medium.source)));
  execFileSync(process.execPath, [HERALD_BIN, 'sources', 'migrate', '--config', file], { stdio: 'ignore' });
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      children.push(await startSourceNode(join(dir, `${tag}-${i}.yaml`), sourceNodeConfig(port, prefix, medium.source), port));
    }
    await sleep(kind === 'redis_stream' ? 2500 : 300); // leases settle into a fair share
    const records = Array.from({ length: RECORDS }, (_, i) => ({ channel: `bench:c_${i % CHANNELS}`, data: `{"seq":${Math.floor(i / CHANNELS)},"payload":"${'x'.repeat(64)}"}` }));
    const start = performance.now();
    await medium.write(records);
    while ((await medium.left()) > 0) await sleep(20);
    const seconds = (performance.now() - start) / 1000;
    return { seconds, rate: RECORDS / seconds };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await medium.remove();
    deleteKeys(prefix);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'herald-bench-sources-'));
try {
  console.log(`${RECORDS} records over ${CHANNELS} channels, Redis engine; ${RUNS} runs each`);
  console.log('| source | nodes | runs (records/s) | median records/s |');
  console.log('|---|---|---|---|');
  for (const kind of args.sources as Array<'postgres' | 'redis_stream'>) {
    for (const nodes of args.nodes) {
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) rates.push((await runOnce(kind, nodes, dir)).rate);
      const sorted = [...rates].sort((a, b) => a - b);
      const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
      console.log(`| ${kind} | ${nodes} | ${rates.map((x) => Math.round(x)).join(', ')} | ${Math.round(median)} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
