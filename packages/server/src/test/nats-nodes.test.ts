import { concurrentPublishSuite } from './concurrent-publishes.js';
import { deleteNatsStreams, NATS_SERVERS, uniquePrefix } from './services.js';
import { multiNodeSuite } from './multi-node.js';
import { multiNodePresenceSuite } from './multi-node-presence.js';

const prefix = uniquePrefix();
const engine = () => ({ type: 'nats', prefix, nats: { servers: NATS_SERVERS, storage: 'memory' } });
const cleanup = () => deleteNatsStreams(prefix);
multiNodeSuite('nats', engine, cleanup);
multiNodePresenceSuite('nats', engine, cleanup);
concurrentPublishSuite('nats', engine, cleanup);
