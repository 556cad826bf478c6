/**
 * @module targets
 * How to start each server under test and how to publish to it. Herald is started from its
 * built CLI exactly as a user would, with a generated config file.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUSHER_KEY, type Protocol } from './client/subscriber.js';
import type { PublishTarget } from './gen/publisher.js';
import { deleteKeys, REDIS_URL, redisPid } from './redis.js';

export type ServerName = 'herald' | 'herald-delay0' | 'herald-sse' | 'herald-pusher' | 'herald-redis' | 'herald-redis-2n' | 'herald-workers-2' | 'naive' | 'socketio';

/** How a Herald target runs Herald. */
interface HeraldLayout {
  /** How the generator's subscribers connect: WebSocket `/ws` + subscribe, `GET /sse?channel=bench`, or the Pusher protocol (`/app/{key}` + `pusher:subscribe`). */
  protocol: 'herald' | 'herald-sse' | 'herald-pusher';
  engine: 'memory' | 'redis';
  /** `herald serve` processes sharing the engine; subscribers are split evenly across them. */
  nodes: number;
  /** `--workers` of each node, always passed (the default is one per core); 1 starts no cluster primary. */
  workers: number;
  /** The default namespace's write_delay_ms; unset keeps Herald's default. */
  writeDelayMs?: number;
}

const HERALD_LAYOUTS: Partial<Record<ServerName, HeraldLayout>> = {
  herald: { protocol: 'herald', engine: 'memory', nodes: 1, workers: 1 },
  // The same node with paced flushes off: every event-loop turn writes, as before write_delay_ms.
  'herald-delay0': { protocol: 'herald', engine: 'memory', nodes: 1, workers: 1, writeDelayMs: 0 },
  'herald-sse': { protocol: 'herald-sse', engine: 'memory', nodes: 1, workers: 1 },
  // pusher-js's wire protocol on the same node: publishes through Herald's API reach the app's channel (docs/pusher.md).
  'herald-pusher': { protocol: 'herald-pusher', engine: 'memory', nodes: 1, workers: 1 },
  'herald-redis': { protocol: 'herald', engine: 'redis', nodes: 1, workers: 1 },
  'herald-redis-2n': { protocol: 'herald', engine: 'redis', nodes: 2, workers: 1 },
  'herald-workers-2': { protocol: 'herald', engine: 'memory', nodes: 1, workers: 2 },
};

export const SERVER_NAMES: ServerName[] = [...(Object.keys(HERALD_LAYOUTS) as ServerName[]), 'naive', 'socketio'];
/** What `npm run bench` measures without --servers (the WebSocket comparison). */
export const DEFAULT_SERVERS: ServerName[] = ['herald', 'naive', 'socketio'];
/** Targets that start Herald's CLI. */
export const isHerald = (name: ServerName): boolean => name in HERALD_LAYOUTS;
/** Server processes the harness starts for a target, each on its own port. */
export const nodeCount = (name: ServerName): number => HERALD_LAYOUTS[name]?.nodes ?? 1;

const here = fileURLToPath(new URL('.', import.meta.url));
/** Repository root, from bench/dist/. */
export const REPO_ROOT = resolve(here, '..', '..');
/**
 * Herald's CLI; BENCH_HERALD_BIN points at another build, e.g. a
 * snapshot taken so that rebuilds during a long run cannot change what is measured.
 */
export const HERALD_BIN = process.env.BENCH_HERALD_BIN || join(REPO_ROOT, 'packages', 'server', 'dist', 'bin', 'herald.js');

/** Herald refuses API keys shorter than 16 characters. */
export const HERALD_API_KEY = 'benchkey-0123456789abcdef';
/** The Pusher app of the `herald-pusher` target; its channel `bench` is Herald channel `pusher-bench:bench`. */
export const PUSHER_APP = { id: 'bench', key: PUSHER_KEY, secret: 'bench-app-secret-0123456789' };

export interface LaunchSpec {
  /** One per process the harness starts: node script and arguments, and the port it listens on. */
  processes: Array<{ args: string[]; port: number }>;
  protocol: Protocol;
  /** `herald listening` log lines that mean every node and worker is up (0: /readyz is enough). */
  listeners: number;
  /** Whether the processes' children (a cluster's workers) are part of the server. */
  withChildren: boolean;
  /** Publishes go to the first process. */
  publish: PublishTarget;
  /** Processes the harness did not start whose CPU is server side: the shared Redis. */
  sharedPids: number[];
  /** What those are, for the CPU breakdown (default `redis`). */
  sharedRole?: string;
  /** Removes anything the launch created (config files, Redis keys). */
  cleanup(): void;
}

/** Herald's config for one target; every node of a run gets the same one but its port. */
function heraldConfig(layout: HeraldLayout, host: string, port: number, subscribers: number, prefix: string): string {
  return [
    `server: { host: ${host}, port: ${port} }`,
    `auth: { api_keys: [${HERALD_API_KEY}] }`,
    // Headroom over the subscriber count; the default (10 000) would refuse the harness's
    // 10 000th connection if any other socket is counted.
    `limits: { max_connections: ${Math.max(20_000, subscribers + 100)} }`,
    // Start and stop lines only (request logging is off): the harness counts `herald listening`.
    `log: { level: info }`,
    ...(layout.writeDelayMs === undefined ? [] : [`namespaces: { default: { write_delay_ms: ${layout.writeDelayMs} } }`]),
    ...(layout.protocol === 'herald-pusher' ? [`pusher: { apps: [{ id: ${PUSHER_APP.id}, key: ${PUSHER_APP.key}, secret: ${PUSHER_APP.secret} }] }`] : []),
    ...(layout.engine === 'redis' ? [`engine: { type: redis, prefix: ${prefix}, redis: { url: '${REDIS_URL}' } }`] : []),
    '',
  ].join('\n');
}

export function launchSpec(name: ServerName, host: string, ports: number[], subscribers: number): LaunchSpec {
  const layout = HERALD_LAYOUTS[name];
  if (layout) {
    // Unique per run, so concurrent or crashed runs never share (or leave behind) each other's keys.
    const prefix = `bench-${process.pid}-${randomBytes(4).toString('hex')}`;
    const configs = ports.map((port) => {
      const file = join(tmpdir(), `herald-bench-${process.pid}-${port}.yaml`);
      writeFileSync(file, heraldConfig(layout, host, port, subscribers, prefix));
      return { file, port };
    });
    const redis = layout.engine === 'redis' ? redisPid() : undefined;
    return {
      processes: configs.map(({ file, port }) => ({
        args: [HERALD_BIN, 'serve', '--config', file, '--workers', String(layout.workers)],
        port,
      })),
      protocol: layout.protocol,
      listeners: layout.nodes * layout.workers,
      withChildren: layout.workers > 1,
      publish: {
        host,
        port: ports[0]!,
        path: '/api/publish',
        headers: { authorization: `Bearer ${HERALD_API_KEY}` },
        ...(layout.protocol === 'herald-pusher' ? { channel: `pusher-${PUSHER_APP.id}:bench` } : {}),
      },
      sharedPids: redis === undefined ? [] : [redis],
      cleanup: () => {
        for (const { file } of configs) rmSync(file, { force: true });
        if (layout.engine === 'redis') deleteKeys(prefix);
      },
    };
  }
  const port = ports[0]!;
  const script = name === 'naive' ? 'naive-ws.js' : 'socketio.js';
  return {
    processes: [{ args: [join(here, 'servers', script), '--host', host, '--port', String(port)], port }],
    protocol: name as Protocol,
    listeners: 0,
    withChildren: false,
    publish: { host, port, path: '/publish', headers: {} },
    sharedPids: [],
    cleanup: () => {},
  };
}
