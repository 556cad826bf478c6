import { deleteNatsStreams, deleteRedisKeys, NATS_SERVERS, REDIS_URL, uniquePrefix } from './services.js';
import { multiNodeControlSuite } from './multi-node-control.js';

const redisPrefix = uniquePrefix();
multiNodeControlSuite('redis', () => ({ type: 'redis', prefix: redisPrefix, redis: { url: REDIS_URL } }), () => deleteRedisKeys(REDIS_URL, redisPrefix));
const natsPrefix = uniquePrefix();
multiNodeControlSuite('nats', () => ({ type: 'nats', prefix: natsPrefix, nats: { servers: NATS_SERVERS, storage: 'memory' } }), () => deleteNatsStreams(natsPrefix));
