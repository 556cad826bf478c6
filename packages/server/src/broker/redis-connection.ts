/**
 * @module broker/redis-connection
 * Turns an `engine.redis.url` into an ioredis connection (standalone, Sentinel or Cluster) that
 * follows one policy, so every Redis user in Herald (the broker, presence) behaves alike:
 *
 * - it connects on demand and reconnects by itself, with backoff;
 * - nothing is queued while it is disconnected: a command then fails at once;
 * - a command whose connection dropped fails and is never re-sent: it may have run already, and a
 *   publish run twice would publish twice;
 * - a command without an answer fails after a timeout.
 *
 * For a Redis Cluster, a command connection is an ioredis Cluster: one connection per master, each
 * command routed by its first key's slot. ioredis still follows MOVED, ASK and TRYAGAIN, which
 * Redis answers without running the command. A pub/sub connection is a plain connection to one
 * node: see `clusterSubscriber`.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One logical connection: to a server (standalone, through Sentinel, or one cluster node) or to a whole cluster. */
export type RedisConnection = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Client name shown in `CLIENT LIST` (`herald-cmd`, `herald-sub`). */
  name: string;
  /** Connecting, and each command, fails after this long without an answer. */
  timeoutMs: number;
  /**
   * A pub/sub connection: no command timeout (it waits for messages by design), and no automatic
   * re-subscribing: its owner re-subscribes on every `ready`, and so learns that messages may have
   * been missed.
   */
  subscriber?: boolean;
}

type Address = { host: string; port: number };

/** What a URL names: one server (standalone or Sentinel), or a cluster through its seed nodes. */
export type RedisTarget = { kind: 'server'; options: RedisOptions } | { kind: 'cluster'; nodes: Address[]; options: RedisOptions };

/** Reconnect after 100 ms, 200 ms, 400 ms… at most every 2 s. */
const backoff = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);

export function createRedisConnection(url: string, options: RedisConnectionOptions): RedisConnection {
  const target = parseRedisUrl(url);
  const perServer: RedisOptions = {
    ...target.options,
    connectionName: options.name,
    connectTimeout: options.timeoutMs,
    ...(options.subscriber ? {} : { commandTimeout: options.timeoutMs }),
    maxRetriesPerRequest: 0,
  };
  const single: RedisOptions = { ...perServer, lazyConnect: true, enableOfflineQueue: false, retryStrategy: backoff, autoResubscribe: false };
  if (target.kind === 'server') return new Redis(single);
  if (options.subscriber) return clusterSubscriber(target.nodes, single);
  const cluster = new Cluster(target.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: backoff,
    // ioredis re-sends a command whose node connection closed, and one refused with CLUSTERDOWN,
    // after these delays; 0 turns both off.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    slotsRefreshTimeout: options.timeoutMs,
    redisOptions: perServer,
  });
  cluster.on('ready', () => openMasters(cluster));
  cluster.on('+node', () => {
    if (cluster.status === 'ready') openMasters(cluster);
  });
  return cluster;
}

/**
 * Without an offline queue, ioredis fails a command sent to a master whose connection is still
 * being made (only the first one, which opens it, goes through). So every master connection is
 * opened as soon as the cluster is up or learns of the master, and `connectRedis` and
 * `reconnected` wait for them. (A Cluster's `status` does not: a master that is down must not make
 * the whole cluster look down.)
 */
function openMasters(cluster: Cluster): Redis[] {
  const masters = cluster.nodes('master');
  for (const node of masters) if (node.status === 'wait') node.connect().catch(() => {});
  return masters;
}

/**
 * A cluster's pub/sub connection: a plain connection to one seed node, moving to the next seed
 * after each failed attempt. A classic PUBLISH reaches every node of a cluster, so any node will
 * do, and this connection reconnects and emits `ready` exactly like one to a single server: its
 * owner re-subscribes and looks for missed publications as usual. ioredis's own Cluster pub/sub
 * is not used: it moves to another node without a word (so missed publications would go
 * unnoticed), and may drop subscriptions made while it connects (ioredis issue #2037: a SUBSCRIBE
 * is written before its ready check, which then fails and closes the connection).
 */
function clusterSubscriber(nodes: Address[], options: RedisOptions): Redis {
  let next = 0;
  const conn: Redis = new Redis({
    ...options,
    ...nodes[0],
    retryStrategy: (attempt) => {
      // ioredis reads host and port from these options each time it connects.
      Object.assign(conn.options, nodes[++next % nodes.length]);
      return backoff(attempt);
    },
  });
  return conn;
}

/**
 * Connect, and resolve when this first attempt is over: ready (on a Cluster, with every master
 * connection open), or failed (it then retries by itself).
 */
export async function connectRedis(conn: RedisConnection): Promise<void> {
  const attempt = nextEvent([conn], ['ready', 'close', 'end']);
  conn.connect().catch(() => {}); // a Cluster's promise may never settle; the events above do
  await attempt;
  await mastersOpened(conn);
}

/** Resolve on the connection's next `ready` (on a Cluster, once every master connection is open). Listen before dropping it. */
export async function reconnected(conn: RedisConnection): Promise<void> {
  await nextEvent([conn], ['ready']);
  await mastersOpened(conn);
}

/** On a ready Cluster, wait until each master connection is open, or gone. */
async function mastersOpened(conn: RedisConnection): Promise<void> {
  while (conn instanceof Cluster && conn.status === 'ready') {
    const opening = openMasters(conn).filter((node) => node.status !== 'ready');
    if (opening.length === 0) return;
    await nextEvent(opening, ['ready', 'end']);
  }
}

/** The first of `events` on any of `emitters`; errors are left to the connections' own handlers. */
function nextEvent(emitters: RedisConnection[], events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const emitter of emitters) for (const event of events) emitter.off(event, done);
      resolve();
    };
    for (const emitter of emitters) for (const event of events) emitter.once(event, done);
  });
}

/**
 * `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS),
 * `redis-sentinel://[:password@]host:port,host:port/master` or
 * `redis-cluster://[user:password@]host:port,host:port…` (seed nodes: any of the cluster's nodes).
 */
export function parseRedisUrl(url: string): RedisTarget {
  // Not parsed with new URL(): a list of hosts is not a valid URL authority.
  const sentinel = /^redis-sentinel:\/\/(?:([^@/]*)@)?([^/]+)\/([^/?#]+)$/.exec(url);
  if (sentinel) {
    const [, auth, hosts, name] = sentinel;
    const { password } = credentials(auth);
    return {
      kind: 'server',
      options: { sentinels: hostList(hosts!, 26379), name: decodeURIComponent(name!), ...(password ? { password, sentinelPassword: password } : {}) },
    };
  }
  const cluster = /^redis-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (cluster) {
    const [, auth, hosts] = cluster;
    return { kind: 'cluster', nodes: hostList(hosts!, 6379), options: credentials(auth) };
  }
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(
      `unsupported Redis URL "${url}": use redis://host:port, rediss://host:port, redis-sentinel://host:port,host:port/master or redis-cluster://host:port,host:port`,
    );
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    kind: 'server',
    options: {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : 6379,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(db !== undefined ? { db } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

/** `user:password` (either part may be empty, both percent-encoded) as ioredis options. */
function credentials(auth: string | undefined): { username?: string; password?: string } {
  if (!auth) return {};
  const colon = auth.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
  const password = colon < 0 ? '' : decodeURIComponent(auth.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** `host:port,[::1]:port,host` with a default port. */
function hostList(hosts: string, defaultPort: number): Array<{ host: string; port: number }> {
  return hosts.split(',').map((entry) => {
    const [, host, port] = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry) ?? [];
    if (!host) throw new Error(`bad Redis host "${entry}": use host:port`);
    return { host: host.replace(/^\[|\]$/g, ''), port: port ? Number(port) : defaultPort };
  });
}
