/**
 * @module cli/init
 * `herald init`: the road from dev mode to production in one command. Writes a commented
 * herald.yaml with freshly generated secrets (API key, signing key, JWT secret, admin token),
 * demo pages off, client auth on and only the namespaces asked for; then says which value goes
 * to the backend and what the browser needs. The file is checked against the config schema
 * before it is written, so what it writes always starts.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config/load.js';
import { parse, RuntimeError, UsageError } from './usage.js';

export const INIT_USAGE = `Usage: herald init [options]

Writes a production-ready config file with freshly generated secrets (API key, signing key,
JWT secret, admin token), demo pages off, client auth on and the namespaces you name, every
setting commented. Refuses to overwrite an existing file unless --force.

Options:
  -o, --output <file>       Where to write (default herald.yaml)
  -n, --namespace <spec>    A namespace to declare (repeatable): a name, optionally followed by
                            ":" and options from presence, client-publish, private, anonymous,
                            e.g. --namespace orders --namespace chat:presence,client-publish
                            (default: one namespace, "default", for channels without a colon)
      --host <address>      Listen address (default 0.0.0.0: every interface)
  -p, --port <port>         Listen port (default 8080)
      --force               Overwrite the file if it exists
  -h, --help                Show this help`;

const NAMESPACE_OPTIONS: Record<string, string> = {
  presence: 'presence: true',
  'client-publish': 'allow_client_publish: true',
  private: 'private: true',
  anonymous: 'allow_anonymous: true',
};

interface InitSecrets {
  apiKey: string;
  signingKey: string;
  jwtSecret: string;
  adminToken: string;
}

function secret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

function newSecrets(): InitSecrets {
  return { apiKey: secret('hrld_key_'), signingKey: secret('hrld_sig_'), jwtSecret: secret('hrld_jwt_'), adminToken: secret('hrld_adm_') };
}

function namespaceYaml(spec: string): string {
  const [name = '', options = ''] = spec.split(':', 2);
  if (!/^[a-z0-9_-]{1,64}$/.test(name)) throw new UsageError(`--namespace "${spec}": the name must be 1-64 of a-z 0-9 _ -`, INIT_USAGE);
  const lines = options
    .split(',')
    .filter(Boolean)
    .map((option) => {
      const line = NAMESPACE_OPTIONS[option];
      if (!line) throw new UsageError(`--namespace "${spec}": unknown option "${option}" (expected ${Object.keys(NAMESPACE_OPTIONS).join(', ')})`, INIT_USAGE);
      return `    ${line}`;
    });
  return lines.length === 0 ? `  ${name}: {}` : [`  ${name}:`, ...lines].join('\n');
}

/** The file's text: YAML with comments, which a stringified object could not carry. */
function renderInitYaml(s: InitSecrets, options: { host: string; port: number; namespaces: string[] }): string {
  const q = (v: string) => JSON.stringify(v);
  const namespaces = (options.namespaces.length ? options.namespaces : ['default']).map(namespaceYaml).join('\n');
  return `# Herald configuration written by \`herald init\` on ${new Date().toISOString().slice(0, 10)}.
# It holds secrets: keep it out of version control, readable only by the service's user.
# Start with: herald serve --config herald.yaml. Every key and its default: docs/configuration.md.

server:
  host: ${q(options.host)}   # 127.0.0.1 when only a proxy on this machine (nginx) talks to Herald
  port: ${options.port}
  demo: false           # the /demo/ pages are for trying Herald out, not for production
  # allowed_origins: [https://app.example.com]   # browser origins that may connect (empty = any)
  # tls: { cert_file: /etc/herald/cert.pem, key_file: /etc/herald/key.pem }   # or TLS in nginx

log:
  level: info

engine:
  type: memory          # one node; for several: redis (engine.redis.url) or nats (engine.nats.servers)

auth:
  # Backends publish with one of these two (docs/security.md):
  api_keys:             # Authorization: Bearer <key>; curl and any language
    - ${q(s.apiKey)}
  signing_keys:         # X-Herald-Signature (HMAC), what @herald/publisher and \`herald publish\` send
    default: ${q(s.signingKey)}   # rotate: add a new id beside it, move backends, remove this one
  jwt:                  # browsers connect with an HS256 JWT your backend mints with this secret
    secrets:
      - ${q(s.jwtSecret)}

admin:
  token: ${q(s.adminToken)}   # sign in at /admin (serve it over TLS)

# Channel "ns:name" uses namespace "ns"; a channel in any other namespace is refused.
namespaces:
${namespaces}
`;
}

export async function initCommand(args: string[]): Promise<void> {
  const { values, help } = parse(
    args,
    {
      output: { type: 'string', short: 'o' },
      namespace: { type: 'string', short: 'n', multiple: true },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      force: { type: 'boolean' },
    },
    INIT_USAGE,
  );
  if (help) return void process.stdout.write(`${INIT_USAGE}\n`);
  const file = values.output ?? 'herald.yaml';
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535 (got "${values.port}")`, INIT_USAGE);
  const secrets = newSecrets();
  const text = renderInitYaml(secrets, { host: values.host ?? '0.0.0.0', port, namespaces: values.namespace ?? [] });
  // A bad --host or a namespace clash fails here with the config's own message, before any file exists.
  loadConfig({ env: {}, object: parseYaml(text) as Record<string, unknown> });
  try {
    writeFileSync(file, text, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RuntimeError(code === 'EEXIST' ? `${file} already exists: pass --force to overwrite it (its secrets would be replaced)` : `cannot write ${file}: ${code ?? String(err)}`);
  }
  const host = values.host === undefined || values.host === '0.0.0.0' ? '<this host>' : values.host;
  const base = `http://${host}:${port}`;
  process.stdout.write(`Wrote ${file} (readable by you only: it holds secrets). Start Herald with:
  npx herald serve --config ${file}

Give your backend (publishing; docs/publisher.md):
  HERALD_URL=${base}
  HERALD_SECRET=${secrets.signingKey}    # signing key "default": @herald/publisher, herald publish
  HERALD_API_KEY=${secrets.apiKey}    # or as "Authorization: Bearer", from any language
  JWT_SECRET=${secrets.jwtSecret}    # to mint each browser user's HS256 JWT (claim "sub" = user id)

Give the browser (docs/client.md): the WebSocket URL ws://${host}:${port}/ws and a JWT from your
backend, e.g. connect(url, { getToken: () => fetch('/api/herald-token').then((r) => r.text()) }).
Try one: npx herald token --secret "$JWT_SECRET" --sub u42

Admin page: ${base}/admin, token ${secrets.adminToken}
`);
}
