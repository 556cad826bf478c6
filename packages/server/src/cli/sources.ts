/**
 * @module cli/sources
 * `herald sources migrate [name…]` creates what the configured sources read from (the outbox
 * table and function, consumer groups); `herald sources test <name>` shows, as JSON lines, what
 * the records waiting in a source would publish, or why they would be dead-lettered, without
 * taking, acking or deleting anything (a dry run).
 */
import { pino } from 'pino';
import { Channels } from '../channels/channels.js';
import { loadConfig } from '../config/load.js';
import type { HeraldConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';
import { mapRecord, PoisonRecord } from '../sources/mapping.js';
import { createSource } from '../sources/create.js';
import type { SourceRecord } from '../sources/source.js';
import { parse, RuntimeError, UsageError } from './usage.js';

export const SOURCES_USAGE = `Usage: herald sources <command> [options]

Commands:
  migrate [name...]   Create the outbox table, dead-letter table and herald_publish function
                      (postgres) or the consumer groups (redis_stream) of the named sources
                      (default: every source in the config). Safe to run again.
  test <name>         Dry run: print, one JSON line per record, what the records waiting in the
                      source would publish (or why they would be dead-lettered). Nothing is taken,
                      acked or deleted.

Options:
  -c, --config <file>     YAML config file (default: $HERALD_CONFIG)
      --set <key=value>   Set any config key (repeatable)
  -n, --limit <n>         Records to show (test; default 20)
  -f, --follow            Keep showing records as they arrive, until Ctrl-C (test)
  -h, --help              Show this help

Example: herald sources test orders --config herald.yaml`;

const FOLLOW_INTERVAL_MS = 1000;

export async function sourcesCommand(args: string[]): Promise<void> {
  const { values, positionals, help } = parse(
    args,
    { config: { type: 'string', short: 'c' }, set: { type: 'string', multiple: true }, limit: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } },
    SOURCES_USAGE,
    true,
  );
  if (help) return void process.stdout.write(`${SOURCES_USAGE}\n`);
  const [command, ...names] = positionals;
  const config = loadConfig({ file: values.config, overrides: values.set ?? [] });
  for (const name of names) if (!config.sources[name]) throw new UsageError(`no source "${name}" in the config (it has: ${Object.keys(config.sources).join(', ') || 'none'})`, SOURCES_USAGE);
  if (command === 'migrate') return migrate(config, names.length > 0 ? names : Object.keys(config.sources));
  if (command === 'test') {
    if (names.length !== 1) throw new UsageError('expected one source name', SOURCES_USAGE);
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number above 0', SOURCES_USAGE);
    return dryRun(config, names[0]!, limit, values.follow === true);
  }
  throw new UsageError(command === undefined ? 'expected a command' : `unknown command "${command}"`, SOURCES_USAGE);
}

const quiet = pino({ level: 'silent' });

async function migrate(config: HeraldConfig, names: string[]): Promise<void> {
  if (names.length === 0) throw new UsageError('the config has no sources', SOURCES_USAGE);
  for (const name of names) {
    const source = createSource(name, config.sources[name]!, quiet);
    if (!source.migrate) {
      process.stdout.write(`${name}: nothing to create for a ${config.sources[name]!.type} source\n`);
      continue;
    }
    try {
      await source.migrate();
    } catch (err) {
      throw new RuntimeError(`${name}: ${(err as Error).message}`);
    }
    process.stdout.write(`${name}: ready (${config.sources[name]!.type})\n`);
  }
}

async function dryRun(config: HeraldConfig, name: string, limit: number, follow: boolean): Promise<void> {
  const settings = config.sources[name]!;
  const channels = new Channels(config);
  const limits = { maxDataBytes: config.limits.max_body_bytes, maxJsonDepth: config.limits.max_json_depth };
  const shown = new Set<string>();
  const describe = (record: SourceRecord) => {
    try {
      const mapped = mapRecord(name, record, settings, limits);
      channels.resolve(mapped.channel);
      // The data as it would be published: its own text, spliced in (parsing it back would turn
      // `10.50` into `10.5` and round big numbers).
      const head = JSON.stringify({ record: record.id, channel: mapped.channel, ...(mapped.event === undefined ? {} : { event: mapped.event }) });
      return `${head.slice(0, -1)},"data":${mapped.data},"idempotency_key":${JSON.stringify(mapped.key)}}`;
    } catch (err) {
      if (err instanceof PoisonRecord || err instanceof HeraldError) return JSON.stringify({ record: record.id, dead_letter: `${err instanceof PoisonRecord ? err.reason : err.code}: ${err.message}` });
      throw err;
    }
  };
  for (;;) {
    const source = createSource(name, settings, quiet);
    if (!source.peek) throw new RuntimeError(`${name}: a ${settings.type} source cannot be read without taking its records`);
    let records: SourceRecord[];
    try {
      records = await source.peek(limit);
    } catch (err) {
      throw new RuntimeError(`${name}: ${(err as Error).message}`);
    }
    for (const record of records) {
      if (shown.has(record.id)) continue;
      shown.add(record.id);
      process.stdout.write(`${describe(record)}\n`);
    }
    if (!follow) {
      if (records.length === 0) process.stderr.write(`${name}: no records waiting\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, FOLLOW_INTERVAL_MS));
  }
}
