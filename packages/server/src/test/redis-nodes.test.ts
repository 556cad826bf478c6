import { concurrentPublishSuite } from './concurrent-publishes.js';
import { deleteRedisKeys, REDIS_URL, uniquePrefix } from './services.js';
import { multiNodeSuite } from './multi-node.js';
import { multiNodePresenceSuite } from './multi-node-presence.js';

const prefix = uniquePrefix();
const engine = () => ({ type: 'redis', prefix, redis: { url: REDIS_URL } });
const cleanup = () => deleteRedisKeys(REDIS_URL, prefix);
multiNodeSuite('redis', engine, cleanup);
multiNodePresenceSuite('redis', engine, cleanup);
concurrentPublishSuite('redis', engine, cleanup);
