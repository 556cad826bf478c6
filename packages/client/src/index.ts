/**
 * @module @herald/client
 * Browser-safe entry (no Node imports). In Node, the package's "node" export adds `ws`.
 */
export type { ClientInfo, PresenceMember } from '@herald/protocol';
export { connect, HeraldClient } from './client.js';
export { HeraldError, type ClientEvents, type ClientOptions, type ClientState, type SubscribeOptions, type TransportName, type WebSocketConstructor, type WebSocketLike } from './options.js';
export { Subscription, type Message, type SubscriptionEvents, type SubscriptionState } from './subscription.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
