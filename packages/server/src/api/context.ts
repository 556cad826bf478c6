/**
 * @module api/context
 * What the HTTP routes share with the rest of the node.
 */
import type { Broker } from '../broker/broker.js';
import type { EngineStatus } from '../broker/monitor.js';
import type { Channels } from '../channels/channels.js';
import type { HeraldConfig } from '../config/schema.js';
import type { Hub } from '../hub/hub.js';
import type { ChannelOccupancy } from '../presence/occupancy.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { PublisherAuthenticator } from '../auth/publisher.js';
import type { SourceState } from '../sources/sources.js';
import type { IdempotencyCache } from './idempotency.js';

export interface ApiContext {
  config: HeraldConfig;
  hub: Hub;
  broker: Broker;
  channels: Channels;
  presence: PresenceTracker;
  occupancy: ChannelOccupancy;
  authenticate: PublisherAuthenticator;
  idempotency: IdempotencyCache;
  accepting(): boolean;
  /** Whether the engine can take publications now, and why not. */
  engine(): EngineStatus;
  stats(): { connections: number };
  /** Each publish source's state, and why a required one makes the node unready. */
  sources(): { states: Record<string, SourceState>; down: string | undefined };
}
