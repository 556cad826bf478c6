/**
 * @module test/services
 * The real Redis, NATS and PostgreSQL servers the engine and source tests run against (scripts/ensure-services.sh starts
 * them on 127.0.0.1), a unique prefix per run with clean-up, and private `redis-server` children
 * for the tests that kill one or need a Redis Cluster: the shared machine Redis is never stopped,
 * paused or clustered.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { waitUntil } from './helpers.js';

export const REDIS_URL = process.env.HERALD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_URL = process.env.HERALD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_SERVERS = (process.env.HERALD_TEST_NATS_SERVERS ?? 'nats://127.0.0.1:4222').split(',');

/** A prefix no other run uses (allowed in Redis keys, NATS subjects and stream names alike). */
export function uniquePrefix(): string {
  return `hrldtest_${randomBytes(5).toString('hex')}`;
}

/** Delete every Redis key under `prefix`. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Delete every JetStream stream (KV buckets are streams too) whose name contains `prefix`. */
export async function deleteNatsStreams(prefix: string): Promise<void> {
  const nc = await connectNats({ servers: NATS_SERVERS });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.includes(prefix)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Poll `check` until it holds; fail with `what` after `timeoutMs`. No timing is asserted. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(check, timeoutMs, () => what);
}

/** Process groups of PrivateServers still running: killed when the test process exits, whatever happened. */
const running = new Set<number>();
process.on('exit', () => {
  for (const pgid of running) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Whether any process of group `pgid` is still alive (zombies waiting for their reaper do not count). */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // After the command name in parentheses: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      // Exited while we looked.
    }
  }
  return false;
}

/**
 * A server child process on a free loopback port that a test may kill, restart, freeze and thaw.
 * It leads a process group of its own, and every signal goes to the whole group: a server's own
 * children (nginx workers, `herald serve` workers) stop with it instead of living on as orphans.
 */
export class PrivateServer {
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly command: string,
    readonly args: string[],
  ) {}

  /** Start it (again) on the same port and wait until it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(this.command, this.args, { stdio: 'ignore', detached: true });
    const pgid = child.pid;
    if (pgid === undefined) throw await new Promise<Error>((r) => child.once('error', r));
    this.#child = child;
    running.add(pgid);
    child.once('exit', () => {
      if (!groupAlive(pgid)) running.delete(pgid);
    });
    await until(() => accepts(this.port), `${this.command} on port ${this.port}`);
  }

  /** Kill it and everything it started the hard way, as a crash would, and wait until all are gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const pgid = child.pid!;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    signalGroup(pgid, 'SIGCONT'); // a frozen process cannot die otherwise
    signalGroup(pgid, 'SIGKILL');
    await exited;
    await until(() => !groupAlive(pgid), `process group ${pgid} (${this.command}) gone`);
    running.delete(pgid);
  }

  /** Freeze it: connections stay open, nothing moves through them. */
  freeze(): void {
    if (this.#child) signalGroup(this.#child.pid!, 'SIGSTOP');
  }

  thaw(): void {
    if (this.#child) signalGroup(this.#child.pid!, 'SIGCONT');
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A throw-away `redis-server` without persistence: a restart loses everything. */
export class PrivateRedis extends PrivateServer {
  static async start(): Promise<PrivateRedis> {
    const redis = await PrivateRedis.create();
    await redis.restart();
    return redis;
  }

  /** One on a free port, not started yet; `args` are more `redis-server` options. */
  static async create(args: string[] = []): Promise<PrivateRedis> {
    const port = await freePort();
    return new PrivateRedis(port, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), ...args]);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A short-lived connection for commands the test itself sends (CLIENT PAUSE, CLIENT KILL). */
  async send(...args: string[]): Promise<unknown> {
    const redis = new Redis(this.url);
    try {
      return await redis.call(args[0]!, ...args.slice(1));
    } finally {
      redis.disconnect();
    }
  }
}

/**
 * A throw-away Redis Cluster of `masters` PrivateRedis nodes without replicas, made with
 * `redis-cli --cluster create`; node files live in a temp dir that `stop()` deletes.
 */
export class PrivateRedisCluster {
  readonly nodes: PrivateRedis[] = [];
  private constructor(readonly dir: string) {}

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const cluster = new PrivateRedisCluster(mkdtempSync(join(tmpdir(), 'herald-cluster-')));
    try {
      for (let i = 0; i < masters; i++) {
        // The cluster bus port is given: the default (port + 10000) may be out of range or taken.
        const busPort = await freePort();
        const config = join(cluster.dir, `node${i}.conf`);
        const node = await PrivateRedis.create(['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', config, '--dir', cluster.dir]);
        cluster.nodes.push(node); // before it runs, so stop() kills it whatever happens next
        await node.restart();
      }
      const addresses = cluster.nodes.map((node) => `127.0.0.1:${node.port}`);
      await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
      await until(async () => {
        const infos = await Promise.all(cluster.nodes.map((node) => node.send('CLUSTER', 'INFO')));
        return infos.every((info) => String(info).includes('cluster_state:ok'));
      }, 'cluster_state:ok on every node');
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Every node as a seed. */
  get url(): string {
    return `redis-cluster://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  /** The port of the master serving `key`'s slot. */
  async masterOf(key: string): Promise<number> {
    const node = this.nodes[0]!;
    const slot = (await node.send('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await node.send('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    return ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throw-away `nats-server` with JetStream on file storage in its own directory: a restart keeps the streams. */
export class PrivateNats extends PrivateServer {
  static async start(): Promise<PrivateNats> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'herald-nats-'));
    const nats = new PrivateNats(port, '/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
    await nats.restart();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
}
