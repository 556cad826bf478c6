/**
 * @module sources/postgres
 * The PostgreSQL outbox source. The application calls `herald_publish(channel, data, event, key)`
 * inside its own transaction; its row and NOTIFY exist only once it commits. Each node runs a few
 * consumer loops (sources/postgres-consumer.ts): in a transaction each locks some partitions with
 * rows (`FOR UPDATE SKIP LOCKED`, see sources/postgres-sql.ts for why partitions), takes their
 * oldest rows, hands them to Herald, then dead-letters and deletes what was settled and commits.
 * A node that dies mid-batch leaves its transaction to be rolled back by PostgreSQL: the rows are
 * taken again, and their idempotency keys make the second publish a no-op. LISTEN wakes the
 * loops; they also poll.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/source-schema.js';
import { OutboxConsumer, toRecord, type OutboxRow } from './postgres-consumer.js';
import { consumerSql, migrationSql } from './postgres-sql.js';
import type { Deliver, DryRunnable, Source, SourceHealth, SourceRecord } from './source.js';

/**
 * Consumer loops per node. Each batch locks half of the partitions holding rows, so a second loop
 * (on this node or another) takes the other half while the first publishes.
 */
const CONSUMERS = 2;
/** Longest a query (or connecting) may take before the connection is given up and re-made. */
const QUERY_TIMEOUT_MS = 30_000;

export class PostgresOutboxSource implements Source, DryRunnable {
  readonly #settings: SourceConfig['postgres'];
  readonly #sql: ReturnType<typeof consumerSql>;
  readonly #consumers: OutboxConsumer[];

  constructor(
    readonly name: string,
    readonly config: SourceConfig,
    readonly log: Logger,
  ) {
    this.#settings = config.postgres;
    this.#sql = consumerSql(config.postgres.table);
    const settings = { name, sql: this.#sql, batchSize: config.batch_size, pollIntervalMs: config.postgres.poll_interval_ms, log, client: (role: string) => this.#client(role) };
    this.#consumers = Array.from({ length: CONSUMERS }, (_, i) => new OutboxConsumer(settings, `worker${i}`));
  }

  health(): SourceHealth {
    const down = this.#consumers.find((c) => !c.up);
    const lag = Math.max(...this.#consumers.map((c) => c.lag));
    return down ? { up: false, reason: down.reason ?? 'unknown', lag } : { up: true, lag };
  }

  async start(deliver: Deliver): Promise<void> {
    for (const consumer of this.#consumers) consumer.start(deliver);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.stop()));
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
}
