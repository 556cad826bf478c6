import { deleteRedisKeys, REDIS_URL, uniquePrefix } from './services.js';
import { multiNodeSuite } from './multi-node.js';

const prefix = uniquePrefix();
multiNodeSuite('redis', () => ({ type: 'redis', prefix, redis: { url: REDIS_URL } }), () => deleteRedisKeys(REDIS_URL, prefix));
