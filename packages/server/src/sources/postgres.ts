/**
 * @module sources/postgres
 * The PostgreSQL outbox source. The application calls `herald_publish(channel, data, event, key)`
 * inside its own transaction; its row and NOTIFY exist only once it commits. Each node runs one
 * consumer loop: in a transaction it locks a few partitions with rows (`FOR UPDATE SKIP LOCKED`,
 * see sources/postgres-sql.ts for why partitions), takes their oldest rows, hands them to Herald,
 * then dead-letters and deletes what was settled and commits. A node that dies mid-batch leaves
 * its transaction to be rolled back by PostgreSQL: the rows are taken again, and their
 * idempotency keys make the second publish a no-op. LISTEN wakes the loop; it also polls.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/source-schema.js';
import { consumerSql, migrationSql } from './postgres-sql.js';
import type { Deliver, DryRunnable, Source, SourceHealth, SourceRecord } from './source.js';
import { Backoff, errorText, Wakeup } from './timing.js';

interface OutboxRow {
  id: string;
  channel: string;
  event: string | null;
  data: string;
  idempotency_key: string | null;
}

const toRecord = (row: OutboxRow): SourceRecord => ({
  id: row.id,
  fields: { id: row.id, channel: row.channel, event: row.event ?? undefined, data: row.data, idempotency_key: row.idempotency_key ?? undefined },
});

/** How often the lag (rows waiting) is counted while busy; an idle loop counts at every poll. */
const LAG_INTERVAL_MS = 1000;
/** Longest a query (or connecting) may take before the connection is given up and re-made. */
const QUERY_TIMEOUT_MS = 30_000;
const END_WAIT_MS = 1000;
/** How soon a node that found every partition with rows locked by others looks again. */
const BUSY_RETRY_MS = 20;

export class PostgresOutboxSource implements Source, DryRunnable {
  readonly #settings: SourceConfig['postgres'];
  readonly #sql: ReturnType<typeof consumerSql>;
  readonly #wakeup = new Wakeup();
  #health: SourceHealth = { up: false, reason: 'starting', lag: -1 };
  #stopped = false;
  #loop: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #worker: pg.Client | undefined;
  #lagAt = 0;

  constructor(
    readonly name: string,
    readonly config: SourceConfig,
    readonly log: Logger,
  ) {
    this.#settings = config.postgres;
    this.#sql = consumerSql(config.postgres.table);
  }

  health(): SourceHealth {
    return this.#health;
  }

  async start(deliver: Deliver): Promise<void> {
    this.#loop = this.#run(deliver);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeup.wake();
    await this.#loop;
  }

  /** Create the table, partitions, dead-letter table, function and trigger (idempotent). */
  async migrate(): Promise<void> {
    const client = this.#client('migrate');
    await client.connect();
    try {
      // Two nodes migrating at once would race on CREATE … IF NOT EXISTS.
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('herald sources migrate'))");
      await client.query(migrationSql(this.#settings.table, this.#settings.partitions));
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  }

  async peek(limit: number): Promise<SourceRecord[]> {
    const client = this.#client('peek');
    await client.connect();
    try {
      return (await client.query<OutboxRow>(this.#sql.peek, [limit])).rows.map(toRecord);
    } finally {
      await client.end();
    }
  }

  #client(role: string): pg.Client {
    // A server that stops answering (not one that closes the connection) must not hang the loop.
    const client = new pg.Client({ connectionString: this.#settings.url, application_name: `herald-source:${this.name}:${role}`, keepAlive: true, query_timeout: QUERY_TIMEOUT_MS, connectionTimeoutMillis: QUERY_TIMEOUT_MS });
    client.on('error', () => {}); // surfaced by the query that fails next
    return client;
  }

  async #run(deliver: Deliver): Promise<void> {
    const backoff = new Backoff();
    while (!this.#stopped) {
      try {
        await this.#connect();
        this.#health = { ...this.#health, up: true, reason: undefined };
        backoff.reset();
        while (!this.#stopped) {
          const { taken, retry } = await this.#batch(deliver);
          if (Date.now() - this.#lagAt >= LAG_INTERVAL_MS || taken === 0) await this.#measureLag();
          if (retry) await this.#wakeup.sleep(backoff.next());
          // Nothing free but rows waiting: other nodes hold their partitions for one batch; look again soon.
          else if (taken === 0) await this.#wakeup.sleep(this.#health.lag > 0 ? Math.min(BUSY_RETRY_MS, this.#settings.poll_interval_ms) : this.#settings.poll_interval_ms);
          else backoff.reset();
        }
      } catch (err) {
        if (this.#stopped) break;
        this.#health = { ...this.#health, up: false, reason: errorText(err) };
        this.log.warn({ source: this.name, err: errorText(err) }, 'postgres source lost its connection; reconnecting');
        await this.#disconnect();
        await this.#wakeup.sleep(backoff.next());
      }
    }
    await this.#disconnect();
  }

  async #connect(): Promise<void> {
    await this.#disconnect();
    const worker = this.#client('worker');
    const listener = this.#client('listen');
    this.#worker = worker;
    this.#listener = listener;
    await worker.connect();
    await listener.connect();
    listener.on('notification', () => this.#wakeup.wake());
    // A dead listener means missed wake-ups: reconnect everything (polling covers the gap).
    listener.on('end', () => void worker.end().catch(() => {}));
    await listener.query(this.#sql.listen);
  }

  async #disconnect(): Promise<void> {
    const clients = [this.#worker, this.#listener];
    this.#worker = this.#listener = undefined;
    // end() waits for the server's goodbye, which a hung server never sends.
    const ended = Promise.all(clients.map((c) => c?.end().catch(() => {})));
    await Promise.race([ended, new Promise((r) => setTimeout(r, END_WAIT_MS).unref())]);
  }

  /** One transaction: lock partitions, take rows, publish, settle, commit. */
  async #batch(deliver: Deliver): Promise<{ taken: number; retry: boolean }> {
    const db = this.#worker!;
    await db.query('BEGIN');
    try {
      const partitions = (await db.query<{ partition: number }>(this.#sql.lockPartitions)).rows.map((r) => r.partition);
      const rows = partitions.length === 0 ? [] : (await db.query<OutboxRow>(this.#sql.rows, [partitions, this.config.batch_size])).rows;
      if (rows.length === 0) {
        await db.query('COMMIT');
        return { taken: 0, retry: false };
      }
      const verdicts = await deliver(rows.map(toRecord));
      const settled: string[] = [];
      const dead: { ids: string[]; reasons: string[] } = { ids: [], reasons: [] };
      let retry = false;
      verdicts.forEach((verdict, i) => {
        const id = rows[i]!.id;
        if (verdict.kind === 'retry') return void (retry = true);
        settled.push(id);
        if (verdict.kind === 'dead') {
          dead.ids.push(id);
          dead.reasons.push(verdict.reason);
        }
      });
      if (dead.ids.length > 0) await db.query(this.#sql.deadLetter, [dead.ids, dead.reasons]);
      if (settled.length > 0) await db.query(this.#sql.remove, [settled]);
      await db.query('COMMIT');
      return { taken: rows.length, retry };
    } catch (err) {
      await db.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async #measureLag(): Promise<void> {
    this.#lagAt = Date.now();
    const n = (await this.#worker!.query<{ n: number }>(this.#sql.lag)).rows[0]!.n;
    this.#health = { ...this.#health, lag: n };
  }
}
