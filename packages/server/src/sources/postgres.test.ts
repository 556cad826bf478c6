import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { startServer, TestClient, type TestServer } from '../test/helpers.js';
import { PG_URL } from '../test/services.js';
import { sourceConformance, type SourcePlace, type TestRecord } from './conformance.js';
import { PostgresOutboxSource } from './postgres.js';

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function sourceConfig(table: string): Record<string, unknown> {
  return { type: 'postgres', postgres: { url: PG_URL, table, poll_interval_ms: 200 } };
}

/** A fresh schema holding an outbox migrated the way `herald sources migrate` does it. */
async function outbox(name: string): Promise<SourcePlace & { table: string }> {
  const schema = `hrldtest_${randomBytes(5).toString('hex')}`;
  const table = `${schema}.herald_outbox`;
  const config = sourceConfig(table);
  const parsed = loadConfig({ object: { sources: { [name]: config } }, env: {} }).sources[name]!;
  await new PostgresOutboxSource(name, parsed, pino({ level: 'silent' })).migrate();
  return {
    table,
    config,
    async write(records: TestRecord[]) {
      const column = (f: (r: TestRecord) => string | undefined) => records.map(f);
      await sql(`INSERT INTO ${table} (channel, event, data, idempotency_key) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`, [
        column((r) => r.channel),
        column((r) => r.event),
        column((r) => r.data),
        column((r) => r.key),
      ]);
    },
    deadLetters: async () => (await sql<{ reason: string }>(`SELECT reason FROM ${table}_dead ORDER BY id`)).map((r) => r.reason),
    cutConnections: async (source) =>
      (await sql<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name LIKE $1", [`herald-source:${source}:%`]))[0]!.n,
    remove: async () => void (await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
  };
}

sourceConformance('postgres outbox', { place: outbox });

describe('postgres outbox: the application\'s transaction', () => {
  const name = `s_${randomBytes(4).toString('hex')}`;
  let place: Awaited<ReturnType<typeof outbox>>;
  let server: TestServer;
  after(async () => {
    await server?.close();
    await place?.remove();
  });

  it('a row written by herald_publish reaches subscribers only if its transaction commits; NOTIFY wakes the consumer', async () => {
    place = await outbox(name);
    // Polling once a minute: only LISTEN/NOTIFY can bring the row within the wait below.
    const config = { ...place.config, postgres: { url: PG_URL, table: place.table, poll_interval_ms: 60_000 } };
    server = await startServer({ namespaces: { default: {}, orders: {} }, sources: { [name]: config } });
    const client = await TestClient.connect(server.wsUrl);
    await client.subscribe('orders:42');
    await new Promise((r) => setTimeout(r, 300)); // the consumer is idle now, waiting for a NOTIFY
    const app = new pg.Client({ connectionString: PG_URL });
    await app.connect();
    try {
      const fn = place.table.replace('.herald_outbox', '.herald_publish');
      await app.query('BEGIN');
      await app.query(`SELECT ${fn}('orders:42', '{"status":"lost"}', 'updated')`);
      await app.query('ROLLBACK');
      await app.query('BEGIN');
      await app.query(`SELECT ${fn}(channel => 'orders:42', data => '{"status": "paid", "total": 10.50}', event => 'updated')`);
      await app.query('COMMIT');
    } finally {
      await app.end();
    }
    const [message] = await client.waitForMessages(1, 'orders:42', 3000);
    assert.deepEqual([message!.event, message!.data], ['updated', { status: 'paid', total: 10.5 }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(client.messages('orders:42').length, 1, 'the rolled-back row was never published');
    assert.deepEqual(await sql(`SELECT id FROM ${place.table}`), [], 'the published row was deleted');
    client.close();
  });
});
