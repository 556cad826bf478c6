/**
 * @module config/load
 * Builds the effective configuration: YAML file < environment < command-line flags, then one
 * schema validation that fills defaults. Any problem becomes a ConfigError whose message is one
 * line naming the key and what was expected.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigSchema, type HeraldConfig } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  /** Path of a YAML file; falls back to HERALD_CONFIG. Neither file nor object: dev defaults (DEV_DEFAULTS). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** `key.path=value` overrides (the CLI's --set, --port, ...), applied last. */
  overrides?: string[];
  /** An already-parsed object used instead of a file (tests, embedding). */
  object?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

/**
 * Without a config file the node serves the docs' examples as written (`orders:42` and the like):
 * any namespace is accepted. Env and flags still override it; a config file starts from nothing.
 */
const DEV_DEFAULTS: Tree = { server: { accept_any_namespace: true } };

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: false });
const validate = ajv.compile<HeraldConfig>(ConfigSchema);

export function loadConfig(sources: ConfigSources = {}): HeraldConfig {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env.HERALD_CONFIG;
  const tree: Tree = structuredClone(sources.object ?? (file ? readYamlFile(file) : DEV_DEFAULTS));
  applyEnv(tree, env);
  for (const override of sources.overrides ?? []) applyOverride(tree, override);
  if (!validate(tree)) throw new ConfigError(describe(validate.errors?.[0], tree));
  return tree as HeraldConfig;
}

function readYamlFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${file}: top level must be a mapping of keys`);
    return doc as Tree;
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new ConfigError(`config file ${file}${pos ? ` line ${pos.line}` : ''}: invalid YAML: ${err.message.split('\n')[0]}`);
    }
    throw err;
  }
}

/** Names other deployments (and Herald's seed projects) already use for the same settings. */
const ENV_ALIASES: Record<string, string> = {
  PORT: 'server.port',
  LOG_LEVEL: 'log.level',
  TIME_WINDOW_SECONDS: 'auth.time_token.window_seconds',
  ALLOWED_CLOCK_SKEW: 'auth.time_token.skew_windows',
  JWT_USER_CLAIM: 'auth.jwt.user_claim',
  REDIS_URL: 'engine.redis.url',
  PRESENCE_TTL_SECONDS: 'presence.ttl_seconds',
  CONFIG_FOLDER_PATH: 'compat.seed001.config_file',
};

/** Aliases whose value is a comma-separated list. */
const LIST_ALIASES: Record<string, string> = {
  TIME_TOKEN_SECRET: 'auth.time_token.secrets',
  JWT_SECRET: 'auth.jwt.secrets',
  CORS_ALLOWED_ORIGINS: 'server.cors_origins',
  HERALD_API_KEYS: 'auth.api_keys',
  HERALD_API_KEY: 'auth.api_keys',
  NATS_URL: 'engine.nats.servers',
};

/**
 * `HERALD_SECTION__KEY=value` sets `section.key` (double underscore separates levels, so keys
 * keep their single underscores); values are read as YAML, so numbers, booleans and `[a, b]` work.
 */
function applyEnv(tree: Tree, env: NodeJS.ProcessEnv): void {
  for (const [name, path] of Object.entries(ENV_ALIASES)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(tree, path.split('.'), parseScalar(value));
  }
  // Seed 002's TTL alone: refresh well within it unless the refresh is set too.
  const ttl = Number(env.PRESENCE_TTL_SECONDS);
  if (ttl > 0 && valueAt(tree, ['presence', 'refresh_seconds']) === undefined) setPath(tree, ['presence', 'refresh_seconds'], Math.min(20, ttl / 4));
  const addr = env.SERVER_ADDR; // seed 002: ":8080" or "host:port"
  if (addr) {
    const i = addr.lastIndexOf(':');
    if (i > 0) setPath(tree, ['server', 'host'], addr.slice(0, i));
    setPath(tree, ['server', 'port'], parseScalar(addr.slice(i + 1)));
  }
  for (const [name, path] of Object.entries(LIST_ALIASES)) {
    const value = env[name];
    if (value) setPath(tree, path.split('.'), value.split(',').map((v) => v.trim()).filter(Boolean));
  }
  // soketi's and Reverb's single-app settings, under the names the Pusher SDK docs use.
  const { PUSHER_APP_ID: id, PUSHER_APP_KEY: key, PUSHER_APP_SECRET: secret } = env;
  if (id && key && secret) setPath(tree, ['pusher', 'apps'], [{ id, key, secret }]);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('HERALD_') || !name.includes('__') || value === undefined) continue;
    const path = name.slice('HERALD_'.length).toLowerCase().split('__');
    setPath(tree, path, parseScalar(value));
  }
}

function applyOverride(tree: Tree, override: string): void {
  const eq = override.indexOf('=');
  if (eq <= 0) throw new ConfigError(`bad override "${override}": expected key.path=value`);
  setPath(tree, override.slice(0, eq).split('.'), parseScalar(override.slice(eq + 1)));
}

function parseScalar(text: string): unknown {
  try {
    return parseYaml(text) ?? '';
  } catch {
    return text;
  }
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function describe(error: ErrorObject | undefined, tree: Tree): string {
  if (!error) return 'invalid configuration';
  const path = error.instancePath.split('/').slice(1).map(decodeURIComponent);
  const at = (p: string[]) => (p.length ? p.join('.') : '(top level)');
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = knownKeys(path);
      return `config: unknown key "${at([...path, key])}"${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`;
    }
    default: {
      // Values under auth are secrets: name the key, never echo what was given.
      const got = path[0] === 'auth' ? 'a value not shown' : (JSON.stringify(valueAt(tree, path)) ?? 'nothing');
      return `config: ${at(path)} ${error.message ?? 'is invalid'}${allowed(error)} (got ${got})`;
    }
  }
}

function allowed(error: ErrorObject): string {
  if (error.keyword !== 'enum') return '';
  return ` (${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
}

function knownKeys(path: string[]): string[] {
  let schema: unknown = ConfigSchema;
  for (const key of path) {
    const s = schema as { properties?: Record<string, unknown>; patternProperties?: Record<string, unknown> };
    schema = s.properties?.[key] ?? Object.values(s.patternProperties ?? {})[0];
  }
  return Object.keys((schema as { properties?: object } | undefined)?.properties ?? {});
}

function valueAt(tree: Tree, path: string[]): unknown {
  let node: unknown = tree;
  for (const key of path) node = (node as Tree | undefined)?.[key];
  return node;
}
