import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { api, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { freePort } from '../test/services.js';

/**
 * A broker source whose broker does not answer: the node starts anyway, serves its clients,
 * reports the source down on `/readyz` (503 when the source is required), and takes nothing.
 */
describe('broker sources with their broker unreachable', () => {
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const cases: Array<[string, (port: number) => Record<string, unknown>]> = [
    ['rabbitmq', (port) => ({ type: 'rabbitmq', rabbitmq: { url: `amqp://guest:guest@127.0.0.1:${port}`, queues: ['q'] } })],
    ['mqtt', (port) => ({ type: 'mqtt', mqtt: { url: `mqtt://127.0.0.1:${port}`, topics: ['t/#'] } })],
    ['jetstream', (port) => ({ type: 'jetstream', jetstream: { servers: [`nats://127.0.0.1:${port}`], subjects: ['s.>'] } })],
  ];
  for (const [type, source] of cases) {
    it(`${type}: the node serves, /readyz says the source is down and why, 503 when it is required`, async () => {
      const port = await freePort(); // nothing listens there
      const server = await startServer({ namespaces: { default: {}, n: {} }, sources: { down: { ...source(port), required: true } } });
      servers.push(server);
      const client = await TestClient.connect(server.wsUrl);
      try {
        await client.subscribe('n:1');
        const published = await api(server, '/api/publish', { body: { channel: 'n:1', data: { ok: true } } });
        assert.equal(published.status, 200, 'the HTTP API still publishes');
        await client.waitForMessages(1, 'n:1', 5000);
        const ready = await waitUntil(async () => {
          const res = await api(server, '/readyz');
          const state = (res.json.sources as Record<string, { up: boolean; reason?: string }> | undefined)?.down;
          return state && !state.up && state.reason && state.reason !== 'starting' ? { res, state } : undefined;
        }, 10_000, () => `${type} source reported down with a reason`);
        assert.equal(ready.res.status, 503);
        assert.equal(server.herald.sources.runners[0]!.counters.consumed, 0);
      } finally {
        client.close();
      }
    });
  }
});
