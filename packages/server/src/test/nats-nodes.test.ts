import { deleteNatsStreams, NATS_SERVERS, uniquePrefix } from './services.js';
import { multiNodeSuite } from './multi-node.js';

const prefix = uniquePrefix();
multiNodeSuite('nats', () => ({ type: 'nats', prefix, nats: { servers: NATS_SERVERS, storage: 'memory' } }), () => deleteNatsStreams(prefix));
