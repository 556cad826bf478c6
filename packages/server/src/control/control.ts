/**
 * @module control/control
 * The control API's actions (api/users.ts only parses requests and calls these): disconnect,
 * subscribe and unsubscribe a user's live connections, list connections, revoke tokens, block
 * users. Each action that touches connections is broadcast through the engine to every node
 * (control/cluster.ts), which acts on its own connections (connection/registry.ts) and answers.
 *
 * Revocations and blocks are also written to the engine's record store first (broker/control.ts),
 * so that a node that missed the broadcast, a node started later, and every new connection see
 * them: `admit` checks them whenever a token is accepted (connect, `auth` frame).
 */
import { CloseCode, ErrorCode } from '@herald/protocol';
import type { Logger } from 'pino';
import type { ClientIdentity } from '../auth/access.js';
import { TokenReason, TokenRefused } from '../auth/jwt.js';
import type { ControlBus, RecordStore } from '../broker/control.js';
import type { Connection } from '../connection/connection.js';
import type { ConnectionRegistry } from '../connection/registry.js';
import { subscribeServerSide, unsubscribeServerSide } from '../connection/server-subscriptions.js';
import { HeraldError } from '../errors.js';
import { ClusterCommands, type Answer } from './cluster.js';

/** One live connection as the control API lists it. */
export interface ConnectionInfo {
  client: string;
  /** Empty for an anonymous client. */
  user: string;
  node: string;
  transport: string;
  channels: string[];
  /** When it opened, ISO 8601. */
  since: string;
  address: string;
}

/** A user's block as stored. */
export interface Block {
  reason: string;
  /** Unix seconds; absent: until unblocked. */
  expires_at?: number;
}

/** What a command acts on: a user's connections, or one of them. */
interface Target {
  user: string;
  client?: string;
}

type Command =
  | ({ op: 'disconnect'; code: number; reason: string } & Target)
  | ({ op: 'subscribe' | 'unsubscribe'; channel: string } & Target)
  | { op: 'connections'; user: string }
  | { op: 'channel'; channel: string }
  | { op: 'revoke'; jti?: string; user?: string; before?: number }
  | { op: 'block'; user: string; reason: string }
  | { op: 'unblock'; user: string };

/** A command's count on one node, and the first error it met, if any. */
interface Count {
  count: number;
  error?: { code: string; message: string };
}

export interface ControlOptions {
  bus: ControlBus;
  records: RecordStore;
  registry: ConnectionRegistry;
  nodeName: string;
  log: Logger;
  /** How long a revocation is kept when the request gives no expiry. */
  revocationTtlMs: number;
}

/** How many nodes answered, beside every answer. */
export interface Gathered {
  nodes: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * How long a node remembers the revocations and blocks it was sent, to close a connection whose
 * token was checked just before the record was written but that registered just after the
 * broadcast had passed (a few milliseconds at most; this is ample).
 */
const RECENT_MS = 10_000;

interface Recent {
  at: number;
  /** Set for a block, so that unblocking forgets it. */
  blocked?: string;
  matches(identity: ClientIdentity): boolean;
  code: number;
  reason: string;
}

export class Control {
  readonly #options: ControlOptions;
  readonly #cluster: ClusterCommands;
  #recent: Recent[] = [];

  constructor(options: ControlOptions) {
    this.#options = options;
    this.#cluster = new ClusterCommands(options.bus, options.nodeName, (cmd) => this.#execute(cmd as Command), options.log);
    options.registry.onUser = (connection) => this.#recheck(connection);
  }

  start(): void {
    this.#cluster.start();
  }

  close(): void {
    this.#cluster.close();
  }

  // ---- actions on live connections ----------------------------------------------------------

  async disconnect(target: Target, code: number, reason: string): Promise<{ disconnected: number } & Gathered> {
    const { count, nodes } = await this.#count({ op: 'disconnect', ...target, code, reason });
    return { disconnected: count, nodes };
  }

  async subscribe(target: Target, channel: string): Promise<{ subscribed: number; errors?: Count['error'][] } & Gathered> {
    const { count, nodes, errors } = await this.#count({ op: 'subscribe', ...target, channel });
    return errors.length ? { subscribed: count, nodes, errors } : { subscribed: count, nodes };
  }

  async unsubscribe(target: Target, channel: string): Promise<{ unsubscribed: number } & Gathered> {
    const { count, nodes } = await this.#count({ op: 'unsubscribe', ...target, channel });
    return { unsubscribed: count, nodes };
  }

  async connections(user: string): Promise<{ connections: ConnectionInfo[] } & Gathered> {
    return this.#list({ op: 'connections', user });
  }

  async channelConnections(channel: string): Promise<{ connections: ConnectionInfo[] } & Gathered> {
    return this.#list({ op: 'channel', channel });
  }

  // ---- revocations and blocks ---------------------------------------------------------------

  /** Revoke one token by its `jti` until `expiresAt` (Unix seconds; default: the configured TTL). */
  async revokeToken(jti: string, expiresAt?: number): Promise<{ jti: string; expires_at: number; disconnected: number } & Gathered> {
    const expires = expiresAt ?? this.#defaultExpiry();
    await this.#options.records.put(`jti:${jti}`, '1', expires * 1000);
    const { count, nodes } = await this.#count({ op: 'revoke', jti });
    return { jti, expires_at: expires, disconnected: count, nodes };
  }

  /** Revoke every token of `user` issued before `before` (Unix seconds; tokens without `iat` too). */
  async revokeUser(user: string, before: number, expiresAt?: number): Promise<{ user: string; issued_before: number; expires_at: number; disconnected: number } & Gathered> {
    const expires = expiresAt ?? this.#defaultExpiry();
    // A later revocation never narrows an earlier one.
    const [current] = await this.#options.records.get([`before:${user}`]);
    const issuedBefore = Math.max(before, Number(current ?? 0));
    await this.#options.records.put(`before:${user}`, String(issuedBefore), expires * 1000);
    const { count, nodes } = await this.#count({ op: 'revoke', user, before: issuedBefore });
    return { user, issued_before: issuedBefore, expires_at: expires, disconnected: count, nodes };
  }

  async block(user: string, reason: string, expiresAt?: number): Promise<{ user: string; blocked: true; disconnected: number } & Block & Gathered> {
    const block: Block = expiresAt === undefined ? { reason } : { reason, expires_at: expiresAt };
    await this.#options.records.put(`block:${user}`, JSON.stringify(block), expiresAt === undefined ? undefined : expiresAt * 1000);
    const { count, nodes } = await this.#count({ op: 'block', user, reason });
    return { user, blocked: true, ...block, disconnected: count, nodes };
  }

  async unblock(user: string): Promise<{ user: string; unblocked: boolean }> {
    const unblocked = await this.#options.records.remove(`block:${user}`);
    await this.#cluster.run({ op: 'unblock', user });
    return { user, unblocked };
  }

  async blockOf(user: string): Promise<Block | undefined> {
    const [value] = await this.#options.records.get([`block:${user}`]);
    return value === undefined ? undefined : parseBlock(value);
  }

  /**
   * Refuse a token that is revoked or whose user is blocked (AccessControl.admit). While the engine
   * cannot be asked, tokens with a user or a `jti` are refused with `unavailable`: a revocation
   * must not lapse because Redis or NATS is down.
   */
  async admit(identity: ClientIdentity): Promise<void> {
    const { user, jti } = identity;
    const keys = [...(user === '' ? [] : [`block:${user}`, `before:${user}`]), ...(jti === undefined ? [] : [`jti:${jti}`])];
    if (keys.length === 0) return;
    const values = await this.#options.records.get(keys).catch((err: unknown) => {
      throw new HeraldError(ErrorCode.Unavailable, `cannot check token revocations now (${err instanceof Error ? err.message : String(err)}); retry later`);
    });
    const [block, before] = user === '' ? [] : values;
    const revoked = jti === undefined ? undefined : values[values.length - 1];
    if (block !== undefined) {
      const { reason } = parseBlock(block);
      throw new TokenRefused(ErrorCode.Unauthorized, `user is blocked${reason ? `: ${reason}` : ''}`, TokenReason.Blocked);
    }
    if (revoked !== undefined || (before !== undefined && issuedBefore(identity, Number(before)))) {
      throw new TokenRefused(ErrorCode.Unauthorized, 'token revoked', TokenReason.Revoked);
    }
  }

  #defaultExpiry(): number {
    return seconds(Date.now() + this.#options.revocationTtlMs);
  }

  // ---- gathering ----------------------------------------------------------------------------

  async #count(cmd: Command): Promise<{ count: number; nodes: number; errors: NonNullable<Count['error']>[] }> {
    const answers = await this.#cluster.run<Count>(cmd);
    const errors = answers.flatMap((a) => (a.result.error ? [a.result.error] : []));
    return { count: answers.reduce((sum, a) => sum + (Number(a.result.count) || 0), 0), nodes: answers.length, errors };
  }

  async #list(cmd: Command): Promise<{ connections: ConnectionInfo[] } & Gathered> {
    const answers: Array<Answer<ConnectionInfo[]>> = await this.#cluster.run<ConnectionInfo[]>(cmd);
    const connections = answers.flatMap((a) => (Array.isArray(a.result) ? a.result : []));
    connections.sort((x, y) => (x.client < y.client ? -1 : x.client > y.client ? 1 : 0));
    return { connections, nodes: answers.length };
  }

  // ---- on every node ------------------------------------------------------------------------

  async #execute(cmd: Command): Promise<unknown> {
    const registry = this.#options.registry;
    switch (cmd.op) {
      case 'disconnect':
        return this.#closeAll(this.#targets(cmd), cmd.code, cmd.reason);
      case 'subscribe': {
        const result: Count = { count: 0 };
        const outcomes = await Promise.all(this.#targets(cmd).map((connection) => subscribeServerSide(connection, [cmd.channel])));
        for (const { subscribed, error } of outcomes.flat()) {
          if (subscribed) result.count++;
          else if (error) result.error ??= { code: error.code, message: error.message };
        }
        return result;
      }
      case 'unsubscribe':
        return { count: this.#targets(cmd).filter((connection) => unsubscribeServerSide(connection, cmd.channel)).length } satisfies Count;
      case 'connections':
        return registry.ofUser(cmd.user).map((c) => this.#info(c));
      case 'channel':
        return [...registry.all()].filter((c) => c.subscribedTo(cmd.channel)).map((c) => this.#info(c));
      case 'revoke': {
        const { jti, user, before } = cmd;
        const matches = (identity: ClientIdentity) => (jti !== undefined ? identity.jti === jti : identity.user === user && issuedBefore(identity, before ?? 0));
        this.#remember(matches, CloseCode.Unauthorized, 'token revoked');
        const revoked = jti !== undefined ? [...registry.all()].filter((c) => matches(c.identity)) : registry.ofUser(user ?? '').filter((c) => matches(c.identity));
        return this.#closeAll(revoked, CloseCode.Unauthorized, 'token revoked');
      }
      case 'block': {
        const reason = cmd.reason ? `user blocked: ${cmd.reason}` : 'user blocked';
        this.#remember((identity) => identity.user === cmd.user, CloseCode.UserBlocked, reason, cmd.user);
        return this.#closeAll(registry.ofUser(cmd.user), CloseCode.UserBlocked, reason);
      }
      case 'unblock':
        this.#recent = this.#recent.filter((r) => r.blocked !== cmd.user);
        return { count: 0 } satisfies Count;
      default:
        throw new Error(`unknown control command ${JSON.stringify((cmd as { op?: unknown }).op)}`);
    }
  }

  #remember(matches: Recent['matches'], code: number, reason: string, blocked?: string): void {
    const now = Date.now();
    this.#recent = this.#recent.filter((r) => now - r.at < RECENT_MS);
    this.#recent.push(blocked === undefined ? { at: now, matches, code, reason } : { at: now, matches, code, reason, blocked });
  }

  /** A connection just filed under its user: close it if a revocation or block sent moments ago covers it. */
  #recheck(connection: Connection): void {
    const now = Date.now();
    const hit = this.#recent.find((r) => now - r.at < RECENT_MS && r.matches(connection.identity));
    // Not from inside the constructor that registers it: the transport finishes setting it up first.
    if (hit) queueMicrotask(() => connection.close(hit.code, hit.reason));
  }

  #targets(target: Target): Connection[] {
    const mine = this.#options.registry.ofUser(target.user);
    return target.client === undefined ? mine : mine.filter((c) => c.id === target.client);
  }

  #closeAll(connections: Connection[], code: number, reason: string): Count {
    for (const connection of connections) connection.close(code, reason);
    return { count: connections.length };
  }

  #info(c: Connection): ConnectionInfo {
    return { client: c.id, user: c.identity.user, node: this.#options.nodeName, transport: c.transport.name, channels: c.channels, since: new Date(c.since).toISOString(), address: c.address };
  }
}

/** A stored block; one that does not parse (written by something else) still blocks. */
function parseBlock(value: string): Block {
  try {
    const block = JSON.parse(value) as Partial<Block> | null;
    return { reason: typeof block?.reason === 'string' ? block.reason : '', ...(typeof block?.expires_at === 'number' ? { expires_at: block.expires_at } : {}) };
  } catch {
    return { reason: '' };
  }
}

/** Whether a token was issued before `before` (Unix seconds); one without `iat` cannot show it was not. */
function issuedBefore(identity: ClientIdentity, before: number): boolean {
  return identity.issuedAt === undefined || identity.issuedAt < before;
}
