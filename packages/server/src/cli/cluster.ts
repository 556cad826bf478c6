/**
 * @module cli/cluster
 * The primary process of `herald serve --workers N`: forks N workers that share the listening port
 * (node:cluster), restarts one that dies, and on SIGTERM/SIGINT stops them all gracefully. With the
 * memory engine it also holds the one shared engine (broker/ipc.ts); with Redis or NATS every
 * worker is simply one more node.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { BrokerHost } from '../broker/ipc.js';
import { serveClusterMetrics } from '../metrics/cluster.js';
import type { HeraldConfig } from '../config/schema.js';

/** Environment a worker gets from its primary. */
export const WORKER_DEV_SECRET = 'HERALD_WORKER_DEV_SECRET';

export interface PrimaryOptions {
  config: HeraldConfig;
  workers: number;
  log: Logger;
  /** Given to every worker so they all accept the same dev secret (printed once, here). */
  devSecret: string | undefined;
  /** Called once, when the first worker listens. */
  onListening(address: { host: string; port: number }): void;
}

/** A worker that dies sooner than this after starting is not restarted (it would only crash again). */
const MIN_LIFETIME_MS = 5000;

export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { config, log } = options;
  const host = config.engine.type === 'memory' ? new BrokerHost() : undefined;
  await host?.start();
  if (config.metrics.enabled) serveClusterMetrics();
  let stopping = false;
  let announced = false;

  const fork = (): Worker => {
    const worker = cluster.fork(options.devSecret ? { [WORKER_DEV_SECRET]: options.devSecret } : {});
    const born = Date.now();
    host?.attach(worker);
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      const early = Date.now() - born < MIN_LIFETIME_MS;
      log.error({ worker: worker.id, code, signal }, early ? 'worker died right after starting: not restarting it' : 'worker died: starting another');
      if (!early) fork();
      // The last one's code: a config error a worker found (2) stays a config error for the shell.
      else if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code || 1);
    });
    return worker;
  };

  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true;
    options.onListening({ host: config.server.host, port: address.port });
  });
  for (let i = 0; i < options.workers; i++) fork();

  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1);
    stopping = true;
    log.info({ signal, workers: options.workers }, 'shutting down workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let failed = false;
    void Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', (code) => {
              failed ||= code !== 0;
              resolve();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    ).then(async () => {
      await host?.close();
      process.exit(failed ? 1 : 0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
