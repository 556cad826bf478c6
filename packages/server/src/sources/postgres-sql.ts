/**
 * @module sources/postgres-sql
 * The SQL of the PostgreSQL outbox: the schema `herald sources migrate` creates (docs/sources.md
 * shows the same text) and the statements the consumer runs. `table` is checked against the
 * config pattern (lowercase identifiers, optionally schema-qualified), so it is safe to splice.
 *
 * Order per channel across nodes: a channel is hashed into one of N partitions (a generated
 * column); a consumer first locks a few partitions that hold rows (`FOR UPDATE SKIP LOCKED` on the
 * `<table>_partitions` rows; half of those holding rows, so another node finds the rest), then
 * takes the oldest rows of those partitions. While its
 * transaction is open no other node can take a row of those channels, so a channel's rows are
 * published in id order by one node at a time; other nodes skip to other partitions.
 */

export interface OutboxNames {
  table: string;
  partitions: string;
  dead: string;
  /** The function the application calls: `herald_publish` in the table's schema. */
  publish: string;
  /** The NOTIFY channel: the table's (qualified) name. */
  notify: string;
  notifyFunction: string;
}

export function outboxNames(table: string): OutboxNames {
  const dot = table.indexOf('.');
  const schema = dot === -1 ? '' : table.slice(0, dot + 1);
  return {
    table,
    partitions: `${table}_partitions`,
    dead: `${table}_dead`,
    publish: `${schema}herald_publish`,
    notify: table,
    notifyFunction: `${table}_notify`,
  };
}

/** Everything `herald sources migrate` runs, idempotent (IF NOT EXISTS / OR REPLACE). */
export function migrationSql(table: string, partitions: number): string {
  const n = outboxNames(table);
  const dot = table.indexOf('.');
  return `${dot === -1 ? '' : `CREATE SCHEMA IF NOT EXISTS ${table.slice(0, dot)};\n`}CREATE TABLE IF NOT EXISTS ${n.table} (
  id              bigserial PRIMARY KEY,
  channel         text NOT NULL,
  event           text,
  data            text NOT NULL,
  idempotency_key text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- hashtext is immutable: a channel always falls into the same partition
  partition       integer GENERATED ALWAYS AS ((hashtext(channel) & 2147483647) % ${partitions}) STORED
);
CREATE INDEX IF NOT EXISTS ${n.table.slice(dot + 1)}_partition_id ON ${n.table} (partition, id);

CREATE TABLE IF NOT EXISTS ${n.partitions} (partition integer PRIMARY KEY);
INSERT INTO ${n.partitions} SELECT generate_series(0, ${partitions - 1}) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS ${n.dead} (
  id              bigint PRIMARY KEY,
  channel         text NOT NULL,
  event           text,
  data            text NOT NULL,
  idempotency_key text,
  created_at      timestamptz NOT NULL,
  reason          text NOT NULL,
  failed_at       timestamptz NOT NULL DEFAULT now()
);

-- Call it inside your own transaction: the row (and its NOTIFY) exists only if you commit.
CREATE OR REPLACE FUNCTION ${n.publish}(channel text, data json, event text DEFAULT NULL, idempotency_key text DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO ${n.table} (channel, event, data, idempotency_key) VALUES (channel, event, data::text, idempotency_key) RETURNING id;
$$;

-- One NOTIFY per inserting statement, delivered at commit (none after a rollback).
CREATE OR REPLACE FUNCTION ${n.notifyFunction}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${n.notify}', '');
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS herald_notify ON ${n.table};
CREATE TRIGGER herald_notify AFTER INSERT ON ${n.table} FOR EACH STATEMENT EXECUTE FUNCTION ${n.notifyFunction}();
`;
}

/** The consumer's statements. */
export function consumerSql(table: string) {
  const n = outboxNames(table);
  const columns = 'id, channel, event, data, idempotency_key';
  return {
    listen: `LISTEN "${n.notify}"`,
    // Half of the partitions holding rows (at least one), so a second node always finds some free.
    lockPartitions: `WITH busy AS (SELECT p.partition FROM ${n.partitions} p WHERE EXISTS (SELECT 1 FROM ${n.table} o WHERE o.partition = p.partition))
      SELECT partition FROM ${n.partitions} WHERE partition IN (SELECT partition FROM busy)
      ORDER BY random() LIMIT (SELECT greatest(1, ceil(count(*) / 2.0))::int FROM busy) FOR UPDATE SKIP LOCKED`,
    rows: `SELECT ${columns} FROM ${n.table} WHERE partition = ANY($1::int[]) ORDER BY id LIMIT $2`,
    peek: `SELECT ${columns} FROM ${n.table} ORDER BY id LIMIT $1`,
    /** $1 ids, $2 reasons. */
    deadLetter: `INSERT INTO ${n.dead} (id, channel, event, data, idempotency_key, created_at, reason)
      SELECT o.id, o.channel, o.event, o.data, o.idempotency_key, o.created_at, r.reason
      FROM ${n.table} o JOIN unnest($1::bigint[], $2::text[]) AS r(id, reason) ON o.id = r.id
      ON CONFLICT (id) DO NOTHING`,
    remove: `DELETE FROM ${n.table} WHERE id = ANY($1::bigint[])`,
    lag: `SELECT count(*)::int AS n FROM ${n.table}`,
  };
}
