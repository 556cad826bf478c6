/**
 * @module broker/create
 * Builds the engine named in `config.engine`. Nothing else knows which engines exist.
 */
import type { HeraldConfig } from '../config/schema.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './memory.js';
import { RedisBroker } from './redis.js';

export function createBroker(config: HeraldConfig): Broker {
  const engine = config.engine;
  const timeoutMs = engine.timeout_seconds * 1000;
  switch (engine.type) {
    case 'memory':
      return new MemoryBroker();
    case 'redis':
      return new RedisBroker({ url: engine.redis.url, prefix: engine.prefix, metaTtlMs: engine.redis.meta_ttl_seconds * 1000, commandTimeoutMs: timeoutMs });
    case 'nats':
      throw new Error('nats engine: not yet');
  }
}
