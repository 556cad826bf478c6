/**
 * @module @herald/publisher
 * Backend SDK: `new Publisher({ url, secret }).publish('orders:42', { status: 'paid' })`.
 */
export { Publisher, PublishError, type PublisherOptions } from './publisher.js';
export { HOOK_SIGNATURE_HEADER, signHookAnswer, verifyHookRequest, type VerifiedHookRequest } from './hooks.js';
