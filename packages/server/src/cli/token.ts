/**
 * @module cli/token
 * `herald token`: mint an HS256 client JWT (or a subscription token) for development.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { parse, UsageError } from './usage.js';

export const TOKEN_USAGE = `Usage: herald token --secret <secret> [options]

Prints an HS256 JWT that Herald accepts when auth.jwt.secrets contains <secret>.

Options:
  --secret <secret>       JWT secret (default $JWT_SECRET)
  --sub <user>            User id (default $USER_ID or "demo-user")
  --ttl <seconds>         Lifetime (default 3600)
  --channel <channel>     Make it a subscription token for this private channel
  --subscribe <patterns>  Comma-separated channel patterns the user may subscribe to
  --publish <patterns>    Comma-separated channel patterns the user may publish to
  --claim <key=json>      Any other claim (repeatable), e.g. --claim aud='"herald"'
  -h, --help              Show this help`;

export async function mintToken(secret: string, claims: JWTPayload, ttlSeconds: number): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

export async function tokenCommand(args: string[]): Promise<void> {
  const { values, help } = parse(
    args,
    {
      secret: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string' },
      channel: { type: 'string' },
      subscribe: { type: 'string' },
      publish: { type: 'string' },
      claim: { type: 'string', multiple: true },
    },
    TOKEN_USAGE,
  );
  if (help) return void process.stdout.write(`${TOKEN_USAGE}\n`);
  const secret = values.secret ?? process.env.JWT_SECRET;
  if (!secret) throw new UsageError('--secret (or $JWT_SECRET) is required', TOKEN_USAGE);
  const ttl = Number(values.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError('--ttl must be a positive number of seconds', TOKEN_USAGE);
  const claims: JWTPayload = { sub: values.sub ?? process.env.USER_ID ?? 'demo-user' };
  if (values.channel) claims.channel = values.channel;
  const permissions: Record<string, string[]> = {};
  if (values.subscribe) permissions.subscribe = values.subscribe.split(',');
  if (values.publish) permissions.publish = values.publish.split(',');
  if (Object.keys(permissions).length > 0) claims.herald = permissions;
  for (const pair of values.claim ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--claim expects key=json, got "${pair}"`, TOKEN_USAGE);
    try {
      claims[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1));
    } catch {
      throw new UsageError(`--claim ${pair.slice(0, eq)}: value is not JSON`, TOKEN_USAGE);
    }
  }
  process.stdout.write(`${await mintToken(secret, claims, ttl)}\n`);
}
