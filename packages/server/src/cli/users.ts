/**
 * @module cli/users
 * `herald users <action> …`: the control API through the backend SDK (disconnect, subscribe,
 * unsubscribe, connections, revoke, block, unblock); prints each answer as one line of JSON.
 */
import { Publisher, PublishError } from '@herald/publisher';
import { credentials } from './publish.js';
import { httpUrl, parse, RuntimeError, UsageError } from './usage.js';

export const USERS_USAGE = `Usage: herald users <action> <user> [arguments] [options]

Acts on a user's live connections on every node, and on its tokens (docs/api.md#control-api).

Actions:
  connections <user>            List the user's connections (client, node, transport, channels, since, address)
  disconnect <user>             Close its connections (--client for one; --no-reconnect: tell clients not to come back)
  subscribe <user> <channel>    Subscribe its live WebSocket connections to <channel>
  unsubscribe <user> <channel>  Unsubscribe them from <channel>
  revoke <user>                 Revoke its tokens issued before now (--issued-before to choose)
  revoke --jti <jti>            Revoke one token by its jti
  block <user>                  Refuse the user on every node (--reason, --expires-at); closes its connections
  unblock <user>                Let it connect again

Options:
  --client <id>             Only this connection (disconnect, subscribe, unsubscribe)
  --no-reconnect            disconnect: close with 4500 (do not reconnect) instead of 4100
  --code <4100-4999>        disconnect: this close code
  --reason <text>           disconnect, block: the reason the client is told
  --jti <jti>               revoke: the token id to revoke
  --issued-before <unix>    revoke: tokens issued before this Unix time (default now)
  --expires-at <unix>       revoke, block: when it ends (default: revoke auth.jwt.revocation_ttl_seconds, block never)
  --url <url>               Herald base URL (default $HERALD_URL or http://127.0.0.1:8080)
  --secret <secret>         Signing secret (default $HERALD_SECRET)
  --key-id <id>             Key id of the secret (default $HERALD_KEY_ID or "default")
  --api-key <key>           Use an API key instead of signing (default $HERALD_API_KEY)
  -h, --help                Show this help

Examples:
  herald users connections u42
  herald users disconnect u42 --no-reconnect --reason "logged out"
  herald users block u42 --reason abuse --expires-at 1767225600`;

const OPTIONS = {
  client: { type: 'string' },
  'no-reconnect': { type: 'boolean' },
  code: { type: 'string' },
  reason: { type: 'string' },
  jti: { type: 'string' },
  'issued-before': { type: 'string' },
  'expires-at': { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  'key-id': { type: 'string' },
  'api-key': { type: 'string' },
} as const;

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`, USERS_USAGE);
  return Number(text);
}

export async function usersCommand(args: string[]): Promise<void> {
  const { values, positionals, help } = parse(args, OPTIONS, USERS_USAGE, true);
  if (help) return void process.stdout.write(`${USERS_USAGE}\n`);
  const [action, user, channel, ...extra] = positionals;
  const needs = (count: number, what: string) => {
    if (positionals.length !== count + 1 || extra.length > 0) throw new UsageError(`${action} expects ${what}`, USERS_USAGE);
  };
  const client = values.client === undefined ? {} : { client: values.client };
  const expiresAt = integer('expires-at', values['expires-at']);
  let run: (sdk: Publisher) => Promise<unknown>;
  switch (action) {
    case 'connections':
      needs(1, '<user>');
      run = (sdk) => sdk.userConnections(user!);
      break;
    case 'disconnect': {
      needs(1, '<user>');
      const code = integer('code', values.code);
      run = (sdk) => sdk.disconnectUser(user!, { ...client, reconnect: !values['no-reconnect'], ...(code === undefined ? {} : { code }), ...(values.reason === undefined ? {} : { reason: values.reason }) });
      break;
    }
    case 'subscribe':
    case 'unsubscribe':
      needs(2, '<user> <channel>');
      run = (sdk) => (action === 'subscribe' ? sdk.subscribeUser(user!, channel!, client) : sdk.unsubscribeUser(user!, channel!, client));
      break;
    case 'revoke':
      if (values.jti !== undefined) {
        needs(0, 'no <user> with --jti');
        run = (sdk) => sdk.revokeToken(values.jti!, expiresAt === undefined ? {} : { expiresAt });
      } else {
        needs(1, '<user> (or --jti <jti>)');
        const issuedBefore = integer('issued-before', values['issued-before']);
        run = (sdk) => sdk.revokeUserTokens(user!, { ...(issuedBefore === undefined ? {} : { issuedBefore }), ...(expiresAt === undefined ? {} : { expiresAt }) });
      }
      break;
    case 'block':
      needs(1, '<user>');
      run = (sdk) => sdk.blockUser(user!, { ...(values.reason === undefined ? {} : { reason: values.reason }), ...(expiresAt === undefined ? {} : { expiresAt }) });
      break;
    case 'unblock':
      needs(1, '<user>');
      run = (sdk) => sdk.unblockUser(user!);
      break;
    default:
      throw new UsageError(action === undefined ? 'expected an action' : `unknown action "${action}"`, USERS_USAGE);
  }
  const sdk = new Publisher({ url: httpUrl(values.url), ...credentials(values, USERS_USAGE) });
  try {
    process.stdout.write(`${JSON.stringify(await run(sdk))}\n`);
  } catch (err) {
    if (err instanceof PublishError) throw new RuntimeError(`${err.code}${err.reason ? ` (${err.reason})` : ''}: ${err.message}`);
    throw err;
  }
}
