/**
 * @module sources/create
 * Source type → implementation. Adding a source type is: its settings sub-object in
 * config/source-schema.ts (and its name in SOURCE_TYPES), one file here implementing `Source`
 * (plus `DryRunnable` and `Migratable` where they apply; a medium that pushes records one at a
 * time feeds them through sources/batcher.ts), one line below, and a test file that runs
 * sources/conformance.ts.
 */
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/source-schema.js';
import { JetStreamSource } from './jetstream.js';
import { MqttSource } from './mqtt.js';
import { PostgresOutboxSource } from './postgres.js';
import { RabbitMqSource } from './rabbitmq.js';
import { RedisStreamSource } from './redis-stream.js';
import type { DryRunnable, Source } from './source.js';

/** A source whose tables, groups or queues `herald sources migrate` can create. */
export interface Migratable {
  /** Create what the source reads from, idempotently. Call on an instance that is not started; it is spent afterwards. */
  migrate(): Promise<void>;
}

export type SourceFactory = (name: string, config: SourceConfig, log: Logger) => Source & Partial<DryRunnable & Migratable>;

const FACTORIES: Record<SourceConfig['type'], SourceFactory> = {
  postgres: (name, config, log) => new PostgresOutboxSource(name, config, log),
  redis_stream: (name, config, log) => new RedisStreamSource(name, config, log),
  rabbitmq: (name, config, log) => new RabbitMqSource(name, config, log),
  mqtt: (name, config, log) => new MqttSource(name, config, log),
  jetstream: (name, config, log) => new JetStreamSource(name, config, log),
};

export function createSource(name: string, config: SourceConfig, log: Logger): Source & Partial<DryRunnable & Migratable> {
  return FACTORIES[config.type](name, config, log);
}
