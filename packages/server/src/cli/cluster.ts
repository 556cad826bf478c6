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
import { onSignals } from './signals.js';

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
  const ready = host?.start();
  // Before anything is forked: a signal while the workers start must stop them too, never leave
  // one running after the primary died of the signal's default action.
  let stopping = false;
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1);
    stopping = true;
    log.info({ signal, workers: options.workers }, 'shutting down workers');
    void stopWorkers().then(async (clean) => {
      await ready;
      await host?.close();
      process.exit(clean ? 0 : 1);
    });
  };
  onSignals(stop);

  await ready;
  if (stopping) return;
  if (config.metrics.enabled) serveClusterMetrics();
  if (inspectsOnAnyPort([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)])) cluster.setupPrimary({ inspectPort: 0 });
  let announced = false;

  const fork = (): Worker => {
    const worker = cluster.fork(options.devSecret ? { [WORKER_DEV_SECRET]: options.devSecret } : {});
    const born = Date.now();
    host?.attach(worker);
    // IPC to a worker that has just exited fails (EPIPE), also in prom-client's metrics gathering:
    // that worker is handled on 'exit'; unheard, the error would take the primary and the rest down.
    worker.on('error', (err) => log.warn({ worker: worker.id, err }, 'worker IPC error'));
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
}

/** SIGTERM every live worker and wait for them all; true if each stopped cleanly. */
async function stopWorkers(): Promise<boolean> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const clean = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<boolean>((resolve) => {
          // Killed by this very SIGTERM: the worker was still loading, before it could handle the
          // signal (serve.ts does from before it starts listening), so it had no clients to let go.
          worker.once('exit', (code, signal) => resolve(code === 0 || signal === 'SIGTERM'));
          worker.process.kill('SIGTERM');
        }),
    ),
  );
  return clean.every(Boolean);
}

/**
 * Whether node's inspector was asked for any free port (`--inspect=127.0.0.1:0`). Node then gives
 * worker n the primary's port + n, which is no freer than any other: Linux hands bind(0) odd ports
 * and connect() even ones, so primary + 1 is often held by a client socket (TIME_WAIT included) and
 * the worker runs without an inspector. Port 0 for the workers too keeps the request.
 */
function inspectsOnAnyPort(nodeArgs: string[]): boolean {
  return nodeArgs.some((arg) => /^--(?:inspect(?:-brk|-wait|-port)?|debug-port)=(?:.*:)?0$/.test(arg));
}
