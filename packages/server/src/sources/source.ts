/**
 * @module sources/source
 * The contract every publish source implements (PostgreSQL outbox, Redis Streams, and the brokers
 * that follow): a source reads records where the application already writes them and hands them
 * over in batches; Herald publishes each through the same path as `POST /api/publish`, with an
 * idempotency key, and answers with one verdict per record, which the source then applies.
 *
 * Contract, written here so every source keeps it (sources/conformance.ts checks it):
 * - At least once: a record leaves the source (deleted, acked) only after its verdict is `ack` or
 *   `dead`; a record whose node died before that is handed out again (to this or another node).
 *   The idempotency key turns the second hand-out into a no-op: exactly once in effect.
 * - Per-channel order: two records of one channel are never in flight at once on two nodes, and a
 *   batch lists them oldest first. A source whose medium cannot promise that across nodes (a
 *   consumer group, competing consumers) serialises per partition: a lease, a single active
 *   consumer, a partition lock.
 * - `retry` leaves the record where it is, and the source hands it out again later, before any
 *   younger record of its channel.
 * - `dead` moves the record to the source's dead-letter place (a table, a stream, a DLQ) with its
 *   reason, then removes it; poison never stops a source.
 * - Bad connections are the source's own business: it reconnects with backoff, reports
 *   `health().up === false` meanwhile, and never throws out of `start()` after it resolved.
 */

/** A record as the source found it: named string fields (columns, stream fields, headers, topic segments). */
export type RecordFields = Readonly<Record<string, string | undefined>>;

export interface SourceRecord {
  /** Where it sits in the source (row id, stream entry id, delivery tag): for logs and the default idempotency key. */
  readonly id: string;
  /** What the mapping (sources/mapping.ts) reads `channel`, `event`, `data` and `key` from. */
  readonly fields: RecordFields;
}

/** What Herald made of one record. */
export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'dead'; readonly reason: string };

/** Publishes a batch; resolves with one verdict per record, in the batch's order. Never rejects. */
export type Deliver = (batch: readonly SourceRecord[]) => Promise<Verdict[]>;

export interface SourceHealth {
  /** Connected and consuming (a standby waiting for a lease is up). */
  readonly up: boolean;
  /** Why not, when down. */
  readonly reason?: string;
  /** Records written to the source and not yet settled by any node, as last measured (-1 = unknown yet). */
  readonly lag: number;
}

export interface Source {
  /** The source's name in `sources:`. */
  readonly name: string;
  /** Connect and begin handing batches to `deliver`. Resolves once started, even if the medium is still unreachable (it keeps retrying). */
  start(deliver: Deliver): Promise<void>;
  /** Stop taking records, wait for the batch in hand to be settled, close connections. Idempotent. */
  stop(): Promise<void>;
  health(): SourceHealth;
}

/** A source that can also be read without settling anything (`herald sources test`). */
export interface DryRunnable {
  /** Up to `limit` records waiting now, oldest first, left exactly where they are. */
  peek(limit: number): Promise<SourceRecord[]>;
}

/** Records a source hands out in one batch when its config does not say. */
export const DEFAULT_BATCH_SIZE = 500;
