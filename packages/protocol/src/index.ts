/**
 * @module @herald/protocol
 * Wire types and code tables shared by the Herald server, SDKs, tests and benchmark.
 */
export * from './messages.js';
export * from './codes.js';
export * from './signing.js';
export * from './cursor.js';
export * from './control.js';
