import { after } from 'node:test';
import { deleteNatsStreams, NATS_SERVERS, uniquePrefix } from '../test/services.js';
import { presenceStoreConformance } from '../presence/store-conformance.js';
import { brokerConformance } from './conformance.js';
import { controlStateConformance } from './control-conformance.js';
import { NatsBroker, type NatsBrokerOptions } from './nats.js';

const PREFIX = uniquePrefix();
const options: NatsBrokerOptions = { servers: NATS_SERVERS, prefix: PREFIX, storage: 'memory', replicas: 1, maxHistorySize: 100, maxHistoryTtlMs: 60_000, timeoutMs: 2000 };
after(() => deleteNatsStreams(PREFIX));

brokerConformance('nats', () => new NatsBroker(options), {
  shared: true,
  publishOnce: true,
  unreachable: () => new NatsBroker({ ...options, servers: ['nats://127.0.0.1:1'], timeoutMs: 300 }),
});
presenceStoreConformance('nats', () => new NatsBroker(options));
controlStateConformance('nats', () => new NatsBroker(options));
