/**
 * @module logger
 * The process's pino logger: credentials redacted, written synchronously to stdout.
 *
 * Synchronous, because pino's default (buffered) stdout is flushed at exit by a loop that retries
 * every write error: when whatever read our stdout has gone (EPIPE: a closed pipe, a restarted log
 * collector), a node that got SIGTERM would then never exit. A synchronous write meets EPIPE at
 * log time, where pino turns the stream into a no-op instead.
 */
import { pino, type Logger } from 'pino';
import type { HeraldConfig } from './config/schema.js';

const REDACT = ['req.headers.authorization', 'req.headers["x-api-token"]', 'req.headers["x-herald-signature"]', 'headers.authorization'];

export function createLogger(level: HeraldConfig['log']['level']): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination({ dest: 1, sync: true }));
}
