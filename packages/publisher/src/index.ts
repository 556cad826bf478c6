/**
 * @module @herald/publisher
 * Backend SDK: `new Publisher({ url, secret }).publish('orders:42', { status: 'paid' })`.
 */
export { Publisher, PublishError, type PublisherOptions } from './publisher.js';
