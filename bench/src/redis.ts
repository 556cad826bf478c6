/**
 * @module redis
 * The Redis that the Redis-engine targets share with the rest of the box (tests of other work
 * use it too): finding its process, so its CPU counts as server side, and removing the keys a
 * run left behind. Each run uses its own key prefix, so nothing else's keys are touched.
 */
import { execFileSync } from 'node:child_process';
import { findPid } from './proc.js';

/** BENCH_REDIS_URL points the Redis targets elsewhere; REDIS_URL is Herald's own and not read here. */
export const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * Pid of the local redis-server listening on the URL's port, or undefined (a remote Redis, or
 * one we may not see). redis-server sets its title to `redis-server <host>:<port>`.
 */
export function redisPid(): number | undefined {
  const { hostname, port } = new URL(REDIS_URL);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') return undefined;
  // The port exactly (`:6379` must not match `:16379`), then the end or a space.
  const title = new RegExp(`^redis-server \\S*:${port || '6379'}(\\s|$)`);
  return findPid(title);
}

/** Removes every key under `prefix:` (redis-cli's SCAN, then UNLINK in batches). */
export function deleteKeys(prefix: string): void {
  const cli = (args: string[]): string => execFileSync('redis-cli', ['-u', REDIS_URL, ...args], { encoding: 'utf8' });
  const keys = cli(['--scan', '--pattern', `${prefix}:*`]).split('\n').filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) cli(['UNLINK', ...keys.slice(i, i + 500)]);
}
