/**
 * @module cli/usage
 * Help texts and the shared exit rules of the `herald` command.
 * Exit codes: 0 ok, 1 runtime failure (refused, unreachable, port in use), 2 usage or config error.
 */
import { parseArgs } from 'node:util';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

export class RuntimeError extends Error {}

export const MAIN_USAGE = `Usage: herald <command> [options]

Commands:
  serve        Run a Herald node (memory engine and a printed dev secret by default)
  init         Write a production herald.yaml with fresh secrets:  herald init --namespace orders
  publish      Publish one message:             herald publish <channel> <json>
  subscribe    Print messages as they arrive:   herald subscribe <channel...>
  users        Act on users' live connections and tokens:  herald users disconnect <user>
  token        Mint a client JWT for development
  simulate     Publish a stream of realistic demo events (seed 000's backend simulator)
  sources      Create a publish source's tables (migrate) or dry-run it (test <name>)

Run \`herald <command> --help\` for a command's options.
Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.`;

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}
type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]?: T[K] extends { multiple: true } ? string[] : T[K] extends { type: 'boolean' } ? boolean : string;
};

/** parseArgs with --help added, whose errors become UsageError (exit 2 with the usage text). */
export function parse<T extends Record<string, OptionSpec>>(args: string[], options: T, usage: string, positionals = false): { values: Values<T>; positionals: string[]; help: boolean } {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals });
    return { values: parsed.values as Values<T>, positionals: parsed.positionals, help: Boolean((parsed.values as { help?: boolean }).help) };
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
}

/** The server's base HTTP URL from --url / HERALD_URL; a ws:// URL is accepted and converted. */
export function httpUrl(url: string | undefined): string {
  const base = (url ?? process.env.HERALD_URL ?? 'http://127.0.0.1:8080').replace(/\/ws\/?$/, '').replace(/\/+$/, '');
  return base.replace(/^ws(s?):/, 'http$1:');
}
