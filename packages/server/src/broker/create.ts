/**
 * @module broker/create
 * Builds the engine named in `config.engine`. Nothing else knows which engines exist.
 */
import type { HeraldConfig } from '../config/schema.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './memory.js';
import { NatsBroker } from './nats.js';
import { RedisBroker } from './redis.js';

export function createBroker(config: HeraldConfig): Broker {
  const engine = config.engine;
  const timeoutMs = engine.timeout_seconds * 1000;
  switch (engine.type) {
    case 'memory':
      return new MemoryBroker();
    case 'redis':
      return new RedisBroker({ url: engine.redis.url, prefix: engine.prefix, metaTtlMs: engine.redis.meta_ttl_seconds * 1000, commandTimeoutMs: timeoutMs });
    case 'nats': {
      // The stream's limits are per stream, so they cover the most demanding namespace.
      const namespaces = Object.values(config.namespaces);
      return new NatsBroker({
        servers: engine.nats.servers,
        prefix: engine.prefix,
        storage: engine.nats.storage,
        replicas: engine.nats.replicas,
        maxHistorySize: Math.max(1, ...namespaces.map((n) => n.history_size)),
        maxHistoryTtlMs: Math.max(1, ...namespaces.map((n) => n.history_ttl_seconds)) * 1000,
        timeoutMs,
      });
    }
  }
}
