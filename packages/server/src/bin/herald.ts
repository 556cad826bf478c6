#!/usr/bin/env node
/**
 * @module bin/herald
 * The `herald` command: dispatches to one module per subcommand and turns their errors into
 * the documented exit codes (0 ok, 1 runtime failure, 2 usage or configuration error).
 */
import { readFileSync } from 'node:fs';
import { initCommand } from '../cli/init.js';
import { publishCommand } from '../cli/publish.js';
import { serveCommand } from '../cli/serve.js';
import { simulateCommand } from '../cli/simulate.js';
import { sourcesCommand } from '../cli/sources.js';
import { subscribeCommand } from '../cli/subscribe.js';
import { tokenCommand } from '../cli/token.js';
import { usersCommand } from '../cli/users.js';
import { EXIT, MAIN_USAGE, RuntimeError, UsageError } from '../cli/usage.js';
import { ConfigError } from '../config/load.js';

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  serve: serveCommand,
  init: initCommand,
  publish: publishCommand,
  subscribe: subscribeCommand,
  token: tokenCommand,
  simulate: simulateCommand,
  users: usersCommand,
  sources: sourcesCommand,
};

function fail(message: string, code: number): never {
  process.stderr.write(`herald: ${message}\n`);
  process.exit(code);
}

async function main([command, ...args]: string[]): Promise<void> {
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return void process.stdout.write(`${pkg.version}\n`);
  }
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${MAIN_USAGE}\n`);
    if (command === undefined) process.exitCode = EXIT.usage;
    return;
  }
  const run = COMMANDS[command];
  if (!run) fail(`unknown command "${command}"\n\n${MAIN_USAGE}`, EXIT.usage);
  try {
    await run(args);
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}\n\n${err.usage}`, EXIT.usage);
    if (err instanceof ConfigError) fail(err.message, EXIT.usage);
    if (err instanceof RuntimeError) fail(err.message, EXIT.failure);
    throw err;
  }
}

await main(process.argv.slice(2));
