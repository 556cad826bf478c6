/**
 * @module @herald/server
 * Embed a Herald node: `createHerald(loadConfig({...})).start()`.
 */
export { createHerald, type Herald, type HeraldOptions } from './server.js';
export { loadConfig, ConfigError, type ConfigSources } from './config/load.js';
export { ConfigSchema, type HeraldConfig, type NamespaceConfig } from './config/schema.js';
export { HeraldError } from './errors.js';
export type { Broker, Publication } from './broker/broker.js';
export { MemoryBroker } from './broker/memory.js';
export { toRawJson, type RawJson } from './json/raw.js';
