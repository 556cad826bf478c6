/**
 * @module channels/channels
 * Channel-name rules and namespace lookup. A channel `ns:rest` belongs to namespace `ns`; one
 * without a colon belongs to `default`. A namespace that is not configured is refused, or, with
 * `server.accept_any_namespace` (dev mode), gets the `default` namespace's options. Every entry
 * point (HTTP, WebSocket) resolves through here, so a name is checked the same way wherever it arrives.
 */
import { ErrorCode } from '@herald/protocol';
import { Value } from '@sinclair/typebox/value';
import { NamespaceSchema, type HeraldConfig, type NamespaceConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';

export interface ResolvedChannel {
  name: string;
  namespace: string;
  options: NamespaceConfig;
}

/**
 * Namespace reserved for Herald's own channels (the admin page's stats). It exists only when the
 * admin page is on; subscribing needs the admin token and nobody may publish (auth/access).
 */
export const INTERNAL_NAMESPACE = '_herald';

/** Printable ASCII that needs no escaping in URLs' path segments once encoded, nor in logs. */
const CHANNEL_CHARS = /^[A-Za-z0-9_\-.:#@=,/;]+$/;
const NAMESPACE = /^[a-z0-9_-]{1,64}$/;

export class Channels {
  readonly #namespaces: Map<string, { options: NamespaceConfig; declared: Set<string> }>;
  readonly #maxLength: number;
  /** Options for a namespace that is not configured (server.accept_any_namespace); none = refused. */
  readonly #anyNamespace: NamespaceConfig | undefined;

  constructor(config: Pick<HeraldConfig, 'namespaces' | 'limits'> & { server?: Pick<HeraldConfig['server'], 'accept_any_namespace'> }) {
    this.#maxLength = config.limits.max_channel_length;
    this.#namespaces = new Map(
      Object.entries(config.namespaces).map(([name, options]) => [name, { options, declared: new Set(options.channels) }]),
    );
    if (config.server?.accept_any_namespace) this.#anyNamespace = config.namespaces.default ?? (Value.Create(NamespaceSchema) as NamespaceConfig);
  }

  /** Throws `invalid_channel` or `unknown_channel` with a message that says what is wrong. */
  resolve(name: unknown): ResolvedChannel {
    if (typeof name !== 'string' || name.length === 0) {
      throw new HeraldError(ErrorCode.InvalidChannel, 'channel must be a non-empty string');
    }
    if (name.length > this.#maxLength) {
      throw new HeraldError(ErrorCode.InvalidChannel, `channel is longer than ${this.#maxLength} characters`);
    }
    if (!CHANNEL_CHARS.test(name)) {
      throw new HeraldError(ErrorCode.InvalidChannel, 'channel may contain only A-Z a-z 0-9 and _ - . : # @ = , / ;');
    }
    const colon = name.indexOf(':');
    const namespace = colon === -1 ? 'default' : name.slice(0, colon);
    const rest = colon === -1 ? name : name.slice(colon + 1);
    if (colon !== -1 && (!NAMESPACE.test(namespace) || rest.length === 0)) {
      throw new HeraldError(ErrorCode.InvalidChannel, 'channel must be "namespace:name" with a lowercase namespace and a non-empty name');
    }
    // The reserved namespace exists only when configured (admin page on), never as "any namespace".
    const open = namespace === INTERNAL_NAMESPACE ? undefined : this.#anyNamespace;
    const ns = this.#namespaces.get(namespace) ?? (open && { options: open, declared: new Set(open.channels) });
    if (!ns) throw new HeraldError(ErrorCode.UnknownChannel, `namespace "${namespace}" is not configured`);
    if (!ns.options.allow_create_new_channels && !ns.declared.has(rest)) {
      throw new HeraldError(ErrorCode.UnknownChannel, `channel "${name}" is not declared in namespace "${namespace}"`);
    }
    return { name, namespace, options: ns.options };
  }
}
