/**
 * @module source-nodes
 * The Herald nodes the source-throughput benchmarks (`sources`, `broker-sources`) run: one
 * config (Redis engine, the run's key prefix, the source under test as `bench`) and a node
 * started from it that is ready (its /readyz answers 200) before records are written.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { spawnNode } from './processes.js';
import { REDIS_URL } from './redis.js';
import { HERALD_BIN } from './targets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sourceNodeConfig(port: number, prefix: string, source: unknown): object {
  return {
    server: { host: '127.0.0.1', port, demo: false },
    log: { level: 'warn' },
    auth: { api_keys: ['bench-api-key-0123456789'] },
    engine: { type: 'redis', prefix, redis: { url: REDIS_URL } },
    namespaces: { default: {}, bench: { history_size: 10 } },
    sources: { bench: source },
  };
}

/** Write `config` to `file`, start one node on it (`port` is the config's) and wait until it is ready. */
export async function startSourceNode(file: string, config: object, port: number): Promise<ChildProcess> {
  writeFileSync(file, JSON.stringify(config));
  const child = spawnNode([HERALD_BIN, 'serve', '--workers', '1', '--config', file], null, { stdio: 'ignore' });
  for (let t = 0; !(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)); t++) {
    if (t > 200) {
      child.kill('SIGKILL');
      throw new Error('node did not become ready');
    }
    await sleep(50);
  }
  return child;
}
