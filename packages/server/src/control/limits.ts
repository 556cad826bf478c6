/**
 * @module control/limits
 * Per-user limits that hold across every node sharing the engine (`limits.user_*`), and the
 * per-connection publish limit. All are off by default and cost nothing then.
 *
 * - Connections per user: each connection of a user is an entry in the `connections` presence
 *   space, keyed by user (so a node that dies takes its entries with it after the presence TTL).
 *   A new connection adds itself first and counts after: two connections racing on two nodes may
 *   both be refused, but the user never holds more than the limit.
 * - Commands and publishes per user: token buckets in the engine (broker/control.ts), one take
 *   per command; per connection: a local token bucket.
 */
import { ErrorCode } from '@herald/protocol';
import type { Logger } from 'pino';
import type { BucketStore } from '../broker/control.js';
import type { HeraldConfig } from '../config/schema.js';
import type { Connection } from '../connection/connection.js';
import { TokenBucket } from '../connection/rate-limit.js';
import { HeraldError } from '../errors.js';
import type { PresenceEntry, PresenceStore } from '../presence/presence.js';
import { PresenceTracker } from '../presence/tracker.js';

export interface UserLimitsOptions {
  limits: Pick<HeraldConfig['limits'], 'user_connections' | 'user_commands_per_second' | 'user_publishes_per_second' | 'connection_publishes_per_second'>;
  /** Where each user's connections are counted; created only when `user_connections` is set. */
  connectionStore: () => PresenceStore;
  buckets: BucketStore;
  /** Entry lifetime and refresh of the connection store (as presence: presence/tracker.ts). */
  ttlMs: number;
  refreshMs: number;
  log: Logger;
}

const rateLimited = (message: string) => new HeraldError(ErrorCode.RateLimited, message);

export class UserLimits {
  readonly #options: UserLimitsOptions;
  readonly #tracker: PresenceTracker | undefined;
  readonly #store: PresenceStore | undefined;
  /** Connections counted in the store, so that only those are removed. */
  readonly #counted = new WeakSet<Connection>();
  readonly #publishes = new WeakMap<Connection, TokenBucket>();

  constructor(options: UserLimitsOptions) {
    this.#options = options;
    if (options.limits.user_connections > 0) {
      this.#store = options.connectionStore();
      this.#tracker = new PresenceTracker(this.#store, { ttlMs: options.ttlMs, refreshMs: options.refreshMs, announce: () => {} }, options.log);
    }
  }

  /** Whether every command costs a take from the user's shared bucket. */
  get limitsCommands(): boolean {
    return this.#options.limits.user_commands_per_second > 0;
  }

  async start(): Promise<void> {
    await this.#tracker?.start();
  }

  async close(): Promise<void> {
    await this.#tracker?.close();
    await this.#store?.close();
  }

  /** Count a new connection of its user; rejects with `rate_limited` past the limit (the connection is then not counted). */
  async connect(connection: Connection): Promise<void> {
    const max = this.#options.limits.user_connections;
    const user = connection.identity.user;
    if (!this.#tracker || !this.#store || user === '' || this.#counted.has(connection)) return;
    const entry: PresenceEntry = { user, client: connection.id };
    this.#counted.add(connection);
    await this.#tracker.join(user, entry);
    let count: number;
    try {
      count = (await this.#store.entries(user)).length;
    } catch (err) {
      this.disconnected(connection);
      throw err;
    }
    if (count <= max) return;
    this.disconnected(connection);
    throw rateLimited(`user "${user}" has its maximum of ${max} connections`);
  }

  disconnected(connection: Connection): void {
    if (!this.#counted.has(connection)) return;
    this.#counted.delete(connection);
    void this.#tracker?.leave(connection.identity.user, connection.id);
  }

  /** One command of this connection's user; rejects with `rate_limited` when the user's bucket is empty. */
  async command(connection: Connection): Promise<void> {
    const rate = this.#options.limits.user_commands_per_second;
    if (rate > 0) await this.#take('cmd', connection, rate, 'commands');
  }

  /** One client publish: the connection's own bucket, then its user's shared one. */
  async publish(connection: Connection): Promise<void> {
    const { connection_publishes_per_second: local, user_publishes_per_second: shared } = this.#options.limits;
    if (local > 0) {
      let bucket = this.#publishes.get(connection);
      if (!bucket) this.#publishes.set(connection, (bucket = new TokenBucket(local)));
      if (!bucket.take()) throw rateLimited(`more than ${local} publishes per second on this connection`);
    }
    if (shared > 0) await this.#take('pub', connection, shared, 'publishes');
  }

  async #take(kind: string, connection: Connection, rate: number, what: string): Promise<void> {
    // An anonymous client is a user of its own: its connection.
    const user = connection.identity.user;
    const key = user === '' ? `${kind}:c:${connection.id}` : `${kind}:u:${user}`;
    if (!(await this.#options.buckets.take(key, rate))) throw rateLimited(`more than ${rate} ${what} per second for ${user === '' ? 'this connection' : `user "${user}"`}`);
  }
}
