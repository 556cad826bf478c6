/**
 * @module cli/serve
 * `herald serve`: run a node until SIGTERM/SIGINT, then shut down gracefully (exit 0). With more
 * than one worker (the default: one per core), a primary (cli/cluster.ts) and N worker nodes
 * sharing the port.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createLogger } from '../logger.js';
import { WorkerBroker } from '../broker/ipc.js';
import { loadConfig } from '../config/load.js';
import { createHerald, needsDevSecret, newDevSecret } from '../server.js';
import { banner, servesTls } from './banner.js';
import { runPrimary, WORKER_DEV_SECRET } from './cluster.js';
import { onSignals } from './signals.js';
import { parse, RuntimeError, UsageError } from './usage.js';

export const SERVE_USAGE = `Usage: herald serve [options]

Options:
  -c, --config <file>     YAML config file (default: $HERALD_CONFIG)
      --host <address>    Listen address (server.host)
  -p, --port <port>       Listen port (server.port)
      --log-level <level> fatal|error|warn|info|debug|trace|silent (log.level)
      --set <key=value>   Set any config key, e.g. --set limits.max_connections=50000 (repeatable)
  -w, --workers <n>       Run n worker processes sharing the port (node:cluster); with the memory
                          engine they share its streams, presence and limits through this process
                          (default: $HERALD_WORKERS, else one per core; 1 runs a single process)
  -h, --help              Show this help

Environment: HERALD_CONFIG, HERALD_<SECTION>__<KEY> (e.g. HERALD_SERVER__PORT=9000),
PORT, LOG_LEVEL, SERVER_ADDR, HERALD_API_KEYS, TIME_TOKEN_SECRET, JWT_SECRET, CORS_ALLOWED_ORIGINS,
HERALD_WORKERS.`;

export async function serveCommand(args: string[]): Promise<void> {
  const { values, help } = parse(
    args,
    {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'log-level': { type: 'string' },
      set: { type: 'string', multiple: true },
      workers: { type: 'string', short: 'w' },
    },
    SERVE_USAGE,
  );
  if (help) return void process.stdout.write(`${SERVE_USAGE}\n`);
  const [source, asked] = values.workers !== undefined ? ['--workers', values.workers] : ['HERALD_WORKERS', process.env.HERALD_WORKERS];
  const workers = asked === undefined ? availableParallelism() : Number(asked);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError(`${source} must be a whole number from 1 to 256 (got "${asked}")`, SERVE_USAGE);
  const overrides = [...(values.set ?? [])];
  if (values.host !== undefined) overrides.push(`server.host=${values.host}`);
  if (values.port !== undefined) overrides.push(`server.port=${values.port}`);
  if (values['log-level'] !== undefined) overrides.push(`log.level=${values['log-level']}`);
  const config = loadConfig({ file: values.config, overrides });

  if (workers > 1 && cluster.isPrimary) {
    const devSecret = needsDevSecret(config) ? newDevSecret() : undefined;
    const log = createLogger(config.log.level);
    const anyNamespace = config.server.accept_any_namespace;
    return runPrimary({ config, workers, log, devSecret, onListening: ({ host, port }) => process.stderr.write(banner({ host, port, devSecret, anyNamespace, tls: servesTls(config) })) });
  }
  // Handled from before the node is built: a signal while it starts stops it once it is up (the
  // default action would kill it instead; a worker would then exit without a status of its own).
  let signals = 0;
  const stop = (signal: string) => {
    // In a worker the primary decides: its SIGTERM follows the SIGINT a terminal sent the whole
    // process group (or a service manager's SIGTERM to every process), and is the same request.
    if (++signals > 1) return cluster.isWorker ? undefined : process.exit(1);
    herald.log.info({ signal }, 'shutting down');
    started.then(
      () =>
        herald.close().then(
          () => process.exit(0),
          (err: unknown) => {
            herald.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        ),
      () => {}, // a node that failed to start exits with that error, below
    );
  };
  onSignals(stop);
  // A worker whose primary died (SIGKILL, OOM) gets no more connections: it lets its clients go
  // (1012, reconnect) rather than linger half alive. Node's cluster code exits the worker at once
  // on that 'disconnect', before any listener of ours could run (clients then saw 1006), so its
  // listener is replaced; the worker's own 'disconnect' event still fires.
  if (cluster.isWorker) {
    process.removeAllListeners('disconnect');
    process.on('disconnect', () => {
      cluster.worker?.emit('disconnect');
      if (signals === 0) stop('primary gone');
    });
  }

  // A cluster worker: the primary printed the banner and, for the memory engine, holds the streams.
  const worker = cluster.isWorker ? { devSecret: process.env[WORKER_DEV_SECRET], ...(config.engine.type === 'memory' ? { broker: new WorkerBroker() } : {}) } : {};
  const herald = createHerald(config, worker);
  const started = herald.start();
  const { host, port, tls } = await started.catch((err: NodeJS.ErrnoException) => {
    throw new RuntimeError(err.code === 'EADDRINUSE' ? `port ${herald.config.server.port} on ${herald.config.server.host} is already in use` : err.message);
  });
  if (cluster.isPrimary && signals === 0) process.stderr.write(banner({ host, port, devSecret: herald.devSecret, anyNamespace: config.server.accept_any_namespace, tls }));
}
