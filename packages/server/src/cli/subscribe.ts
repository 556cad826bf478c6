/**
 * @module cli/subscribe
 * `herald subscribe <channel...>`: seed 000's frontend CLI. Messages go to stdout as JSON
 * lines (pipe them anywhere); connection state goes to stderr.
 */
import { connect, type Message } from '@herald/client';
import { mintToken } from './token.js';
import { parse, RuntimeError, UsageError } from './usage.js';

export const SUBSCRIBE_USAGE = `Usage: herald subscribe <channel...> [options]

Prints every message on the channels as one JSON line on stdout, reconnecting and recovering
missed messages by itself. Status lines go to stderr. Stops on Ctrl-C, or after --count messages.

Options:
  --url <url>           WebSocket URL (default $WS_URL or ws://127.0.0.1:8080/ws)
  --token <jwt>         Client token (default $HERALD_TOKEN)
  --jwt-secret <s>      Mint a token with this secret instead (default $JWT_SECRET) ...
  --user <id>           ... for this user (default $USER_ID or "demo-user")
  --count <n>           Exit 0 after n messages
  -h, --help            Show this help`;

export async function subscribeCommand(args: string[]): Promise<void> {
  const { values, positionals, help } = parse(
    args,
    { url: { type: 'string' }, token: { type: 'string' }, 'jwt-secret': { type: 'string' }, user: { type: 'string' }, count: { type: 'string' } },
    SUBSCRIBE_USAGE,
    true,
  );
  if (help) return void process.stdout.write(`${SUBSCRIBE_USAGE}\n`);
  if (positionals.length === 0) throw new UsageError('name at least one channel', SUBSCRIBE_USAGE);
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (!(count > 0)) throw new UsageError('--count must be a positive number', SUBSCRIBE_USAGE);
  const url = values.url ?? process.env.WS_URL ?? 'ws://127.0.0.1:8080/ws';
  const secret = values['jwt-secret'] ?? process.env.JWT_SECRET;
  const user = values.user ?? process.env.USER_ID ?? 'demo-user';
  const token = values.token ?? process.env.HERALD_TOKEN;
  const options = token ? { token } : secret ? { getToken: () => mintToken(secret, { sub: user }, 3600) } : {};
  const status = (line: string) => process.stderr.write(`herald: ${line}\n`);

  const client = connect(url, options);
  await new Promise<void>((resolve, reject) => {
    let received = 0;
    let failed = 0;
    const stop = () => {
      client.close();
      resolve();
    };
    client.on('connected', ({ node }) => status(`connected to ${url} (node ${node})`));
    client.on('disconnected', ({ code, reason, willReconnect }) => {
      status(`disconnected (${code}${reason ? `: ${reason}` : ''})${willReconnect ? ', reconnecting' : ''}`);
      if (!willReconnect) {
        client.close();
        reject(new RuntimeError(`connection refused for good (${code}${reason ? `: ${reason}` : ''})`));
      }
    });
    for (const channel of positionals) {
      const sub = client.subscribe(channel, (m: Message) => {
        process.stdout.write(`${JSON.stringify(m)}\n`);
        if (++received >= count) stop();
      });
      sub.on('subscribed', (r) => status(`subscribed to ${channel} at offset ${r.offset} (epoch ${r.epoch})${r.recovered ? ', recovered missed messages' : ''}`));
      sub.on('recovery-failed', ({ reason }) => status(`could not recover missed messages on ${channel}: ${reason}`));
      sub.on('error', (e) => {
        status(`subscribe ${channel} refused: ${e.code}: ${e.message}`);
        if (++failed === positionals.length) {
          client.close();
          reject(new RuntimeError('every subscription was refused'));
        }
      });
    }
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
