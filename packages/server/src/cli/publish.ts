/**
 * @module cli/publish
 * `herald publish <channel> <json>`: one signed publish through the backend SDK.
 */
import { Publisher, PublishError } from '@herald/publisher';
import { httpUrl, parse, RuntimeError, UsageError } from './usage.js';

export const PUBLISH_USAGE = `Usage: herald publish <channel> <json> [options]

Publishes <json> (any JSON value; quote it for your shell) to <channel> and prints the
assigned {channel, offset, epoch}.

Options:
  --event <name>        Event name carried with the message
  --url <url>           Herald base URL (default $HERALD_URL or http://127.0.0.1:8080)
  --secret <secret>     Signing secret (default $HERALD_SECRET)
  --key-id <id>         Key id of the secret (default $HERALD_KEY_ID or "default")
  --api-key <key>       Use an API key instead of signing (default $HERALD_API_KEY)
  -h, --help            Show this help

Example: herald publish orders:42 '{"status":"paid"}' --event updated --secret "$SECRET"`;

export async function publishCommand(args: string[]): Promise<void> {
  const { values, positionals, help } = parse(
    args,
    { event: { type: 'string' }, url: { type: 'string' }, secret: { type: 'string' }, 'key-id': { type: 'string' }, 'api-key': { type: 'string' } },
    PUBLISH_USAGE,
    true,
  );
  if (help) return void process.stdout.write(`${PUBLISH_USAGE}\n`);
  if (positionals.length !== 2) throw new UsageError('expected <channel> and <json>', PUBLISH_USAGE);
  const [channel, text] = positionals as [string, string];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`<json> is not valid JSON: ${text}`, PUBLISH_USAGE);
  }
  const publisher = new Publisher({ url: httpUrl(values.url), ...credentials(values) });
  try {
    const result = await publisher.publish(channel, data, values.event === undefined ? {} : { event: values.event });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    if (err instanceof PublishError) throw new RuntimeError(`${err.code}${err.reason ? ` (${err.reason})` : ''}: ${err.message}`);
    throw err;
  }
}

/** The SDK credentials from flags, else the environment; `usage` is the help shown when there are none. */
export function credentials(values: { secret?: string; 'key-id'?: string; 'api-key'?: string }, usage = PUBLISH_USAGE): { secret: string; keyId: string } | { apiKey: string } {
  // A flag typed on this command line wins over any credential the environment holds.
  const signed = (secret: string) => ({ secret, keyId: values['key-id'] ?? process.env.HERALD_KEY_ID ?? 'default' });
  if (values.secret) return signed(values.secret);
  if (values['api-key']) return { apiKey: values['api-key'] };
  if (process.env.HERALD_SECRET) return signed(process.env.HERALD_SECRET);
  if (process.env.HERALD_API_KEY) return { apiKey: process.env.HERALD_API_KEY };
  throw new UsageError('no credentials: pass --secret (or $HERALD_SECRET) or --api-key (or $HERALD_API_KEY); `herald serve` prints a dev secret', usage);
}
