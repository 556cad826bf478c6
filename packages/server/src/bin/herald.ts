#!/usr/bin/env node
/**
 * @module bin/herald
 * The `herald` command. Exit codes: 0 ok, 1 runtime failure (e.g. port in use), 2 usage or
 * configuration error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { createHerald } from '../server.js';

const USAGE = `Usage: herald <command> [options]

Commands:
  serve            Run a Herald node (memory engine and a printed dev key by default)

Options for serve:
  -c, --config <file>     YAML config file (default: $HERALD_CONFIG)
      --host <address>    Listen address (server.host)
  -p, --port <port>       Listen port (server.port)
      --log-level <level> fatal|error|warn|info|debug|trace|silent (log.level)
      --set <key=value>   Set any config key, e.g. --set limits.max_connections=50000 (repeatable)
  -h, --help              Show this help
  -v, --version           Print the version

Environment: HERALD_CONFIG, HERALD_<SECTION>__<KEY> (e.g. HERALD_SERVER__PORT=9000),
PORT, LOG_LEVEL, SERVER_ADDR, HERALD_API_KEYS (comma-separated).`;

function fail(message: string, code = 2): never {
  process.stderr.write(`herald: ${message}\n`);
  process.exit(code);
}

async function serve(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'log-level': { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const overrides = [...(values.set ?? [])];
  if (values.host !== undefined) overrides.push(`server.host=${values.host}`);
  if (values.port !== undefined) overrides.push(`server.port=${values.port}`);
  if (values['log-level'] !== undefined) overrides.push(`log.level=${values['log-level']}`);

  let herald;
  try {
    herald = createHerald(loadConfig({ file: values.config, overrides }));
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const { host, port } = await herald.start().catch((err: NodeJS.ErrnoException) => {
    fail(err.code === 'EADDRINUSE' ? `port ${herald.config.server.port} on ${herald.config.server.host} is already in use` : err.message, 1);
  });
  if (herald.devSecret) {
    process.stderr.write(
      `\nHerald is running on http://${host}:${port} (WebSocket: ws://${host}:${port}/ws)\n` +
        `Dev secret (this run only; valid as API key, signing key "default" and time-token secret; configure auth for your own):\n  ${herald.devSecret}\n` +
        `Try: curl -H 'Authorization: Bearer ${herald.devSecret}' -H 'Content-Type: application/json' \\\n` +
        `       -d '{"channel":"news","data":{"hello":"world"}}' http://${host}:${port}/api/publish\n\n`,
    );
  }
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1);
    herald.log.info({ signal }, 'shutting down');
    herald.close().then(
      () => process.exit(0),
      (err: unknown) => {
        herald.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case '-v':
    case '--version': {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      if (command === undefined) process.exitCode = 2;
      return;
    default:
      fail(`unknown command "${command}"\n\n${USAGE}`);
  }
}

await main(process.argv.slice(2));
