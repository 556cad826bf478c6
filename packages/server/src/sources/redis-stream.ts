/**
 * @module sources/redis-stream
 * The Redis Streams source: a consumer group per stream, XACK once Herald has the publication,
 * pending entries of a dead node claimed with XAUTOCLAIM. A consumer group alone hands a
 * channel's entries to several nodes at once (and so out of order), so each stream is read by one
 * node at a time, the holder of its lease (`<stream>:<group>:lease`, SET NX PX, renewed every
 * third of `lease_seconds`); several streams spread over the live nodes, a fair share each. A node
 * that takes a lease first claims every pending entry of the stream, the dead holder's included,
 * and publishes them (the idempotency key skips those already published) before reading new ones.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectRedis, createRedisConnection } from '../broker/redis-connection.js';
import { ConfigError } from '../config/load.js';
import type { SourceConfig } from '../config/source-schema.js';
import type { Deliver, DryRunnable, Source, SourceHealth, SourceRecord } from './source.js';
import { Backoff, errorText, Wakeup } from './timing.js';

type Entry = [id: string, fields: string[] | null];
type StreamReply = Array<[stream: string, entries: Entry[]]> | null;

/** Release a lease only if it is still ours; renew it only if it is still ours. */
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

function toRecord(stream: string, [id, flat]: Entry): SourceRecord {
  const fields: Record<string, string> = { id, stream };
  for (let i = 0; flat && i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return { id: `${stream}/${id}`, fields };
}

export class RedisStreamSource implements Source, DryRunnable {
  readonly #settings: SourceConfig['redis_stream'];
  readonly #consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #token = randomBytes(9).toString('base64url');
  readonly #wakeup = new Wakeup();
  readonly #cmd: Redis;
  readonly #reader: Redis;
  /** Streams whose lease we hold, with when it lapses unless renewed. */
  readonly #leases = new Map<string, number>();
  /** Streams taken since the last loop turn: their pending entries are claimed first. */
  readonly #claimFirst = new Set<string>();
  /** A lease above our fair share, given back by the loop between two batches. */
  #giveBack: string | undefined;
  #health: SourceHealth = { up: false, reason: 'starting', lag: -1 };
  #stopped = false;
  #reading = false;
  #ticking = false;
  #loop: Promise<void> | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly config: SourceConfig,
    readonly log: Logger,
  ) {
    this.#settings = config.redis_stream;
    if (this.#settings.streams.length === 0) throw new ConfigError(`config: sources.${name}.redis_stream.streams must name at least one stream`);
    const timeoutMs = Math.max(2000, this.#settings.lease_seconds * 1000);
    this.#cmd = createRedisConnection(this.#settings.url, { name: `herald-source:${name}`, timeoutMs }) as Redis;
    this.#reader = createRedisConnection(this.#settings.url, { name: `herald-source:${name}:read`, timeoutMs: this.#settings.block_ms + timeoutMs }) as Redis;
    for (const conn of [this.#cmd, this.#reader]) conn.on('error', () => {}); // surfaced by the command that fails
  }

  health(): SourceHealth {
    return this.#health;
  }

  async start(deliver: Deliver): Promise<void> {
    await Promise.all([connectRedis(this.#cmd), connectRedis(this.#reader)]);
    const leaseMs = this.#settings.lease_seconds * 1000;
    this.#ticker = setInterval(() => void this.#tick(), leaseMs / 3);
    void this.#tick();
    this.#loop = this.#run(deliver);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return this.#loop;
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#wakeup.wake();
    // A blocked XREADGROUP is cut; a batch in hand is settled first.
    if (this.#reading) this.#reader.disconnect();
    await this.#loop;
    await Promise.all([...this.#leases.keys()].map((s) => this.#cmd.eval(RELEASE, 1, this.#leaseKey(s), this.#token).catch(() => {})));
    this.#cmd.disconnect();
    this.#reader.disconnect();
  }

  /** Create each stream's consumer group at the stream's end (and the stream), unless it exists. */
  async migrate(): Promise<void> {
    await connectRedis(this.#cmd);
    try {
      for (const stream of this.#settings.streams) await this.#ensureGroup(stream);
    } finally {
      this.#cmd.disconnect();
    }
  }

  /** The group's pending entries, then the undelivered ones, as they would be handed out. */
  async peek(limit: number): Promise<SourceRecord[]> {
    await connectRedis(this.#cmd);
    try {
      const out: SourceRecord[] = [];
      for (const stream of this.#settings.streams) {
        const pending = (await this.#cmd.xpending(stream, this.#settings.group, '-', '+', limit)) as Array<[string, ...unknown[]]>;
        for (const [id] of pending) out.push(...((await this.#cmd.xrange(stream, id, id)) as Entry[]).map((e) => toRecord(stream, e)));
        const group = ((await this.#cmd.xinfo('GROUPS', stream)) as unknown[][]).map(pairs).find((g) => g.name === this.#settings.group);
        const from = group ? `(${String(group['last-delivered-id'])}` : '-';
        out.push(...((await this.#cmd.xrange(stream, from, '+', 'COUNT', limit)) as Entry[]).map((e) => toRecord(stream, e)));
      }
      return out.slice(0, limit);
    } finally {
      this.#cmd.disconnect();
    }
  }

  #leaseKey(stream: string): string {
    return `${stream}:${this.#settings.group}:lease`;
  }

  async #ensureGroup(stream: string): Promise<void> {
    try {
      await this.#cmd.xgroup('CREATE', stream, this.#settings.group, '$', 'MKSTREAM');
    } catch (err) {
      if (!errorText(err).includes('BUSYGROUP')) throw err;
    }
  }

  /** Renew our leases, take free ones up to a fair share, give back one above it, measure the lag. */
  async #tick(): Promise<void> {
    // A slow Redis must not stack ticks up.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#leaseTick();
    } finally {
      this.#ticking = false;
    }
  }

  async #leaseTick(): Promise<void> {
    const leaseMs = this.#settings.lease_seconds * 1000;
    const streams = this.#settings.streams;
    try {
      const nodesKey = `${streams[0]}:${this.#settings.group}:nodes`;
      const now = Date.now();
      await this.#cmd.zadd(nodesKey, now, this.#consumer);
      await this.#cmd.zremrangebyscore(nodesKey, 0, now - leaseMs);
      await this.#cmd.pexpire(nodesKey, leaseMs * 2);
      const share = Math.ceil(streams.length / Math.max(1, await this.#cmd.zcard(nodesKey)));
      for (const stream of streams) {
        const key = this.#leaseKey(stream);
        if (this.#leases.has(stream)) {
          if (await this.#cmd.eval(RENEW, 1, key, this.#token, leaseMs)) this.#leases.set(stream, now + leaseMs);
          else this.#leases.delete(stream);
        } else if (this.#leases.size < share && !this.#stopped) {
          if ((await this.#cmd.set(key, this.#token, 'PX', leaseMs, 'NX')) === 'OK') {
            await this.#ensureGroup(stream);
            this.#leases.set(stream, now + leaseMs);
            this.#claimFirst.add(stream);
            this.#wakeup.wake();
          }
        }
      }
      // Above our share (a node joined): give back one lease per tick, between batches, so it never
      // has two readers. A lapsed lease (renewal failed) is simply not read any more.
      if (this.#leases.size > share) this.#giveBack = [...this.#leases.keys()].pop();
      await this.#measureLag();
      this.#health = { ...this.#health, up: true, reason: undefined };
    } catch (err) {
      this.#health = { ...this.#health, up: false, reason: errorText(err) };
    }
  }


  async #measureLag(): Promise<void> {
    let lag = 0;
    for (const stream of this.#settings.streams) {
      const group = ((await this.#cmd.xinfo('GROUPS', stream).catch(() => [])) as unknown[][]).map(pairs).find((g) => g.name === this.#settings.group);
      if (!group) continue;
      // `lag` is null when Redis cannot tell (entries deleted mid-stream): count the stream's length instead.
      lag += Number(group.pending ?? 0) + (group.lag === null || group.lag === undefined ? Number(await this.#cmd.xlen(stream)) : Number(group.lag));
    }
    this.#health = { ...this.#health, lag };
  }

  /** Streams we may read now: leases with at least a third of their time left. */
  #held(): string[] {
    const margin = Date.now() + (this.#settings.lease_seconds * 1000) / 3;
    return [...this.#leases].filter(([, until]) => until > margin).map(([stream]) => stream);
  }

  async #run(deliver: Deliver): Promise<void> {
    const backoff = new Backoff();
    while (!this.#stopped) {
      try {
        const giveBack = this.#giveBack;
        if (giveBack !== undefined) {
          this.#giveBack = undefined;
          this.#leases.delete(giveBack);
          await this.#cmd.eval(RELEASE, 1, this.#leaseKey(giveBack), this.#token);
        }
        const held = this.#held();
        if (held.length === 0) {
          await this.#wakeup.sleep((this.#settings.lease_seconds * 1000) / 3);
          continue;
        }
        for (const stream of held) if (this.#claimFirst.delete(stream)) await this.#claimAll(stream);
        const ids = held.map(() => '0');
        // Our own pending entries first (claimed, or left for a retry), oldest first; then new ones.
        let reply = (await this.#cmd.xreadgroup('GROUP', this.#settings.group, this.#consumer, 'COUNT', this.config.batch_size, 'STREAMS', ...held, ...ids)) as StreamReply;
        if (!reply?.some(([, entries]) => entries.length > 0)) {
          this.#reading = true;
          try {
            reply = (await this.#reader.xreadgroup('GROUP', this.#settings.group, this.#consumer, 'COUNT', this.config.batch_size, 'BLOCK', this.#settings.block_ms, 'STREAMS', ...held, ...held.map(() => '>'))) as StreamReply;
          } finally {
            this.#reading = false;
          }
        }
        if (this.#stopped && !reply) break;
        const retry = reply ? await this.#settle(deliver, reply) : false;
        if (retry) await this.#wakeup.sleep(backoff.next());
        else backoff.reset();
      } catch (err) {
        if (this.#stopped) break;
        this.#health = { ...this.#health, up: false, reason: errorText(err) };
        this.log.warn({ source: this.name, err: errorText(err) }, 'redis stream source: read failed; retrying');
        await this.#wakeup.sleep(backoff.next());
      }
    }
  }

  /** Move every pending entry of `stream` (whoever had it) to us; they are ours to publish now. */
  async #claimAll(stream: string): Promise<void> {
    let cursor = '0-0';
    do {
      const [next] = (await this.#cmd.xautoclaim(stream, this.#settings.group, this.#consumer, 0, cursor, 'COUNT', 1000, 'JUSTID')) as [string, ...unknown[]];
      cursor = next;
    } while (cursor !== '0-0');
  }

  async #settle(deliver: Deliver, reply: NonNullable<StreamReply>): Promise<boolean> {
    const records: SourceRecord[] = [];
    const origin: Array<{ stream: string; id: string; flat: string[] | null }> = [];
    const gone: Array<[string, string]> = [];
    for (const [stream, entries] of reply) {
      for (const entry of entries) {
        // A pending entry deleted from the stream (XDEL, MAXLEN) has nothing left to publish.
        if (entry[1] === null) gone.push([stream, entry[0]]);
        else {
          records.push(toRecord(stream, entry));
          origin.push({ stream, id: entry[0], flat: entry[1] });
        }
      }
    }
    const verdicts = records.length > 0 ? await deliver(records) : [];
    const acks = new Map<string, string[]>();
    const ack = (stream: string, id: string) => (acks.get(stream) ?? acks.set(stream, []).get(stream)!).push(id);
    for (const [stream, id] of gone) ack(stream, id);
    let retry = false;
    for (const [i, verdict] of verdicts.entries()) {
      const { stream, id, flat } = origin[i]!;
      if (verdict.kind === 'retry') retry = true;
      else {
        if (verdict.kind === 'dead') await this.#cmd.xadd(`${stream}${this.#settings.dead_letter_suffix}`, '*', ...flat!, 'source_id', id, 'reason', verdict.reason);
        ack(stream, id);
      }
    }
    for (const [stream, ids] of acks) await this.#cmd.xack(stream, this.#settings.group, ...ids);
    return retry;
  }
}

/** XINFO's flat [name, value, …] reply as an object. */
function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
