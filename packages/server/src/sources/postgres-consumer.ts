/**
 * @module sources/postgres-consumer
 * One consumer loop of the PostgreSQL outbox source (sources/postgres.ts runs a few per node, so a
 * node works on more partitions at once): a worker connection that runs one transaction per batch
 * (lock partitions, take rows, publish, dead-letter and delete what was settled, commit) and a
 * listener connection whose NOTIFYs wake it. Either connection failing makes it reconnect both
 * with backoff; a transaction cut short is rolled back by PostgreSQL, its rows taken again.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { consumerSql } from './postgres-sql.js';
import type { Deliver, SourceRecord } from './source.js';
import { Backoff, errorText, Wakeup } from './timing.js';

export interface OutboxRow {
  id: string;
  channel: string;
  event: string | null;
  data: string;
  idempotency_key: string | null;
}

export const toRecord = (row: OutboxRow): SourceRecord => ({
  id: row.id,
  fields: { id: row.id, channel: row.channel, event: row.event ?? undefined, data: row.data, idempotency_key: row.idempotency_key ?? undefined },
});

/** How often the lag (rows waiting) is counted while busy; an idle loop counts at every poll. */
const LAG_INTERVAL_MS = 1000;
/** How soon a consumer that found every partition with rows locked by others looks again. */
const BUSY_RETRY_MS = 20;
const END_WAIT_MS = 1000;

export interface ConsumerSettings {
  name: string;
  sql: ReturnType<typeof consumerSql>;
  batchSize: number;
  pollIntervalMs: number;
  log: Logger;
  client(role: string): pg.Client;
}

export class OutboxConsumer {
  readonly #wakeup = new Wakeup();
  up = false;
  reason: string | undefined = 'starting';
  /** Rows in the outbox at the last count (-1 = not counted yet). */
  lag = -1;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #worker: pg.Client | undefined;
  #lagAt = 0;

  constructor(
    readonly settings: ConsumerSettings,
    readonly role: string,
  ) {}

  start(deliver: Deliver): void {
    this.#loop = this.#run(deliver);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeup.wake();
    await this.#loop;
  }

  async #run(deliver: Deliver): Promise<void> {
    const backoff = new Backoff();
    while (!this.#stopped) {
      try {
        await this.#connect();
        this.up = true;
        this.reason = undefined;
        backoff.reset();
        while (!this.#stopped) {
          const { taken, retry } = await this.#batch(deliver);
          if (Date.now() - this.#lagAt >= LAG_INTERVAL_MS || taken === 0) await this.#measureLag();
          if (retry) await this.#wakeup.sleep(backoff.next());
          // Nothing free but rows waiting: other nodes hold their partitions for one batch; look again soon.
          else if (taken === 0) await this.#wakeup.sleep(this.lag > 0 ? Math.min(BUSY_RETRY_MS, this.settings.pollIntervalMs) : this.settings.pollIntervalMs);
          else backoff.reset();
        }
      } catch (err) {
        if (this.#stopped) break;
        this.up = false;
        this.reason = errorText(err);
        this.settings.log.warn({ source: this.settings.name, err: errorText(err) }, 'postgres source lost its connection; reconnecting');
        await this.#disconnect();
        await this.#wakeup.sleep(backoff.next());
      }
    }
    await this.#disconnect();
  }

  async #connect(): Promise<void> {
    await this.#disconnect();
    const worker = this.settings.client(this.role);
    const listener = this.settings.client(`${this.role}-listen`);
    this.#worker = worker;
    this.#listener = listener;
    await worker.connect();
    await listener.connect();
    listener.on('notification', () => this.#wakeup.wake());
    // A dead listener means missed wake-ups: reconnect everything (polling covers the gap).
    listener.on('end', () => void worker.end().catch(() => {}));
    await listener.query(this.settings.sql.listen);
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
      const partitions = (await db.query<{ partition: number }>(this.settings.sql.lockPartitions)).rows.map((r) => r.partition);
      const rows = partitions.length === 0 ? [] : (await db.query<OutboxRow>(this.settings.sql.rows, [partitions, this.settings.batchSize])).rows;
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
      if (dead.ids.length > 0) await db.query(this.settings.sql.deadLetter, [dead.ids, dead.reasons]);
      if (settled.length > 0) await db.query(this.settings.sql.remove, [settled]);
      await db.query('COMMIT');
      return { taken: rows.length, retry };
    } catch (err) {
      await db.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async #measureLag(): Promise<void> {
    this.#lagAt = Date.now();
    const n = (await this.#worker!.query<{ n: number }>(this.settings.sql.lag)).rows[0]!.n;
    this.lag = n;
  }
}
