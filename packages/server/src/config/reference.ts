/**
 * @module config/reference
 * Renders config/herald.example.yaml and docs/configuration.md from the schema, so the
 * documented keys, defaults and descriptions can never drift from what the server accepts
 * (reference.test.ts fails when the committed files differ from these renderings).
 */
import { stringify } from 'yaml';
import { ConfigSchema, NamespaceSchema } from './schema.js';

interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node;
}

const root = ConfigSchema as unknown as Node;
const namespace = NamespaceSchema as unknown as Node;

/** Example namespaces shown in the docs: the default plus two typical ones. */
const EXAMPLE_NAMESPACES: Record<string, Record<string, unknown>> = {
  default: {},
  chat: { history_size: 200, allow_client_publish: true, presence: true, max_subscribers: 5000 },
  dashboards: { transports: ['sse', 'longpoll'], allow_create_new_channels: false, channels: ['sales', 'ops'] },
};

function scalar(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow' }).trim();
}

function typeOf(node: Node): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  const range = node.minimum !== undefined || node.maximum !== undefined ? ` (${node.minimum ?? ''}…${node.maximum ?? ''})` : '';
  return `${node.type ?? 'value'}${range}`;
}

/** The value schema of a map of named objects (`sources`), if `node` is one. */
function entryOf(node: Node): Node | undefined {
  const values = Object.values(node.patternProperties ?? {});
  return values.length === 1 && values[0]!.properties ? values[0] : undefined;
}

function yamlSection(node: Node, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (child.description) lines.push(`${indent}# ${child.description}`);
    if (child.properties) {
      lines.push(`${indent}${key}:`, ...yamlSection(child, `${indent}  `));
    } else {
      // A required key (a source's type) shows its first allowed value.
      lines.push(`${indent}${key}: ${scalar(child.default ?? child.enum?.[0])}`);
    }
  }
  return lines;
}

export function renderExampleYaml(): string {
  const lines = [
    '# Herald configuration: every key, with its default.',
    '# Generated from packages/server/src/config/schema.ts by `npm run docs:config`; do not edit by hand.',
    '# Use: herald serve --config herald.yaml (or HERALD_CONFIG=herald.yaml). Override any key with',
    '# HERALD_<SECTION>__<KEY>=value (e.g. HERALD_SERVER__PORT=9000) or --set section.key=value.',
    '',
  ];
  for (const [key, child] of Object.entries(root.properties ?? {})) {
    if (child.description) lines.push(`# ${child.description}`);
    if (key === 'namespaces') {
      lines.push('namespaces:');
      for (const [name, overrides] of Object.entries(EXAMPLE_NAMESPACES)) {
        lines.push(`  ${name}:`);
        for (const [opt, optNode] of Object.entries(namespace.properties ?? {})) {
          lines.push(`    # ${optNode.description}`);
          lines.push(`    ${opt}: ${scalar(opt in overrides ? overrides[opt] : optNode.default)}`);
        }
      }
    } else if (child.properties) {
      lines.push(`${key}:`, ...yamlSection(child, '  '));
    } else if (entryOf(child)) {
      // A map of named objects (sources): each entry's keys, commented, under an example name.
      lines.push(`${key}: ${scalar(child.default)}`, `#  <name>:`, ...yamlSection(entryOf(child)!, '#    '));
    } else {
      // A list of objects (webhooks): describe each item's fields, show the (empty) default.
      for (const [field, f] of Object.entries(child.items?.properties ?? {})) lines.push(`#   ${field}: ${f.description ?? ''}`);
      lines.push(`${key}: ${scalar(child.default)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function markdownRows(node: Node, prefix: string): string[] {
  const rows: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}${key}`;
    if (child.properties) rows.push(...markdownRows(child, `${path}.`));
    else rows.push(`| \`${path}\` | ${typeOf(child)} | ${child.default === undefined ? 'required' : `\`${scalar(child.default)}\``} | ${child.description ?? ''} |`);
    if (child.items?.properties) rows.push(...markdownRows(child.items, `${path}[].`));
    const entry = entryOf(child);
    if (entry) rows.push(...markdownRows(entry, `${path}.<name>.`));
  }
  return rows;
}

export function renderReferenceMarkdown(): string {
  const sections = Object.entries(root.properties ?? {}).filter(([k]) => k !== 'namespaces');
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/server/src/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Herald reads one YAML file (`--config FILE` or `HERALD_CONFIG`), then the environment, then',
    'command-line flags; later sources win. Every key is optional. An unknown key or a bad value',
    'stops the server with one line naming the key and what was expected.',
    '',
    '- Environment: `HERALD_<SECTION>__<KEY>=value`, levels separated by a double underscore',
    '  (`HERALD_LIMITS__SEND_BUFFER_BYTES=2097152`, `HERALD_NAMESPACES__CHAT__HISTORY_SIZE=50`).',
    '  Values are read as YAML, so `[a, b]`, numbers and booleans work.',
    '- Names other projects use: `PORT` (server.port), `LOG_LEVEL` (log.level), `SERVER_ADDR`',
    '  (`host:port` or `:port`), `HERALD_API_KEYS` / `HERALD_API_KEY` (comma-separated auth.api_keys),',
    '  `PRESENCE_TTL_SECONDS` (presence.ttl_seconds; presence.refresh_seconds becomes a quarter of it, at most 20,',
    '  unless set too), `CONFIG_FOLDER_PATH` (compat.seed001.config_file); the others are named with their keys below.',
    '- Flags: `--host`, `--port`, `--log-level`, `--set section.key=value` (repeatable).',
    '',
    'A commented file with every key and its default: [config/herald.example.yaml](../config/herald.example.yaml).',
    '',
    '## Keys',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...sections.flatMap(([key, node]) => (node.properties ? markdownRows(node, `${key}.`) : markdownRows({ properties: { [key]: node } }, ''))),
    '',
    '## Namespaces',
    '',
    `${root.properties?.namespaces?.description ?? ''}`,
    'Each namespace takes these options (all optional):',
    '',
    '| option | type | default | meaning |',
    '|---|---|---|---|',
    ...markdownRows(namespace, ''),
    '',
  ].join('\n');
}
