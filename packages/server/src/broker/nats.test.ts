import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { deleteNatsStreams, NATS_SERVERS, uniquePrefix } from '../test/services.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { brokerConformance, RecordingHandler } from './conformance.js';
import { NatsBroker, type NatsBrokerOptions } from './nats.js';

const PREFIX = uniquePrefix();
const options: NatsBrokerOptions = { servers: NATS_SERVERS, prefix: PREFIX, storage: 'memory', replicas: 1, maxHistorySize: 100, maxHistoryTtlMs: 60_000, timeoutMs: 2000 };
after(() => deleteNatsStreams(PREFIX));

brokerConformance('nats', () => new NatsBroker(options), { shared: true });
presenceStoreConformance('nats', () => new NatsBroker(options));

describe('nats engine', () => {
  it('fails fast with unavailable when NATS cannot be reached, and reports not connected', async () => {
    const broker = new NatsBroker({ ...options, servers: ['nats://127.0.0.1:1'], timeoutMs: 300 });
    await broker.start(new RecordingHandler());
    try {
      assert.equal(broker.connected, false);
      await assert.rejects(broker.publish('x', { data: 1 }, { size: 1, ttlMs: 1000 }), (err: Error & { code?: string }) => err.code === 'unavailable' && /nats engine is unavailable/.test(err.message));
      await assert.rejects(broker.subscribe('x'), (err: Error & { code?: string }) => err.code === 'unavailable');
    } finally {
      await broker.close();
    }
  });
});
