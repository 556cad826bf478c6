#!/usr/bin/env node
/**
 * @module bin/herald
 * The `herald` command: dispatches to one module per subcommand and turns their errors into
 * the documented exit codes (0 ok, 1 runtime failure, 2 usage or configuration error).
 */
import { readFileSync } from 'node:fs';
import { exitOnEarlySignal } from '../cli/signals.js';
import { EXIT, MAIN_USAGE, RuntimeError, UsageError } from '../cli/usage.js';

type Command = (args: string[]) => Promise<void>;
// Loaded on use: each command pulls in only its own modules, and serve handles signals before it loads.
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('../cli/serve.js')).serveCommand,
  init: async () => (await import('../cli/init.js')).initCommand,
  publish: async () => (await import('../cli/publish.js')).publishCommand,
  subscribe: async () => (await import('../cli/subscribe.js')).subscribeCommand,
  token: async () => (await import('../cli/token.js')).tokenCommand,
  simulate: async () => (await import('../cli/simulate.js')).simulateCommand,
  users: async () => (await import('../cli/users.js')).usersCommand,
  sources: async () => (await import('../cli/sources.js')).sourcesCommand,
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
  const load = COMMANDS[command];
  if (!load) fail(`unknown command "${command}"\n\n${MAIN_USAGE}`, EXIT.usage);
  if (command === 'serve') exitOnEarlySignal();
  try {
    await (await load())(args);
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}\n\n${err.usage}`, EXIT.usage);
    // Loaded by every command that reads a config file, so already in memory here.
    if (err instanceof (await import('../config/load.js')).ConfigError) fail(err.message, EXIT.usage);
    if (err instanceof RuntimeError) fail(err.message, EXIT.failure);
    throw err;
  }
}

await main(process.argv.slice(2));
