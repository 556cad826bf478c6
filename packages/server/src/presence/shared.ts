/**
 * @module presence/shared
 * What the stores shared by several nodes (presence/redis.ts, presence/nats.ts) do alike: expiry
 * per node instead of per entry, and repair after a node lost touch with the engine.
 *
 * - Each node beats a heartbeat; its entries live as long as the heartbeat does, so a refresh is
 *   one write however many entries the node has.
 * - A node whose heartbeat lapsed is claimed by one survivor under a lease; the claimer removes
 *   the entries that still name the dead node as owner and reports each user left that way. A
 *   claimer that dies too leaves a lease that runs out, and another node claims it again.
 * - A node that finds itself taken for dead (cut off longer than the TTL) comes back under a new
 *   id, which the cleanup of the old one cannot touch, with all its live entries.
 * - Writes that failed while the engine was unreachable are redone with the next heartbeat that
 *   gets through: every live entry is added again, every failed removal retried.
 */
import { randomBytes } from 'node:crypto';
import { entryKey as key, type PresenceEntry, type PresenceStore, type PresenceStoreHandler } from './presence.js';

export interface Removed<E> {
  entry: E;
  /** The user's last entry in the channel. */
  left: boolean;
}

/** Dead nodes one sweep cleans up at most; the next sweep takes the rest. */
const CLAIMS_PER_SWEEP = 10;

export abstract class SharedPresenceStore<E extends PresenceEntry> implements PresenceStore<E> {
  /** This node's entries, by channel then client: what its heartbeat keeps alive and what it restores. */
  readonly #own = new Map<string, Map<string, E>>();
  /** Removals that failed, retried with the next heartbeat. */
  readonly #unremoved = new Map<string, { channel: string; entry: E }>();
  #node = newNodeId();
  #registered = false;
  /** A write failed: the next heartbeat that succeeds writes every live entry again. */
  #stale = false;
  #handler: PresenceStoreHandler<E> | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  protected ttlMs = 0;

  constructor(readonly sweepIntervalMs: number) {}

  /** Push back this node's expiry; whether the node was still listed (not taken for dead). */
  protected abstract beat(node: string, ttlMs: number): Promise<boolean>;
  /** Store an entry owned by `node`; whether it is its user's first in the channel. */
  protected abstract addEntry(node: string, channel: string, entry: E): Promise<boolean>;
  /** Remove an entry of `node` (this one's, or, `onlyIfOwned`, a dead one's that no other node took over). */
  protected abstract removeEntry(node: string, channel: string, client: string, onlyIfOwned: boolean): Promise<Removed<E> | undefined>;
  /** Claim one node whose heartbeat or claim lease ran out; its id. */
  protected abstract claimDead(leaseMs: number): Promise<string | undefined>;
  /** Remove every entry a dead node still owns, then forget the node. */
  protected abstract removeNode(dead: string, onRemoved: (channel: string, removed: Removed<E>) => void): Promise<void>;
  /** Forget a node that leaves with no entries. */
  protected abstract unregister(node: string): Promise<void>;
  protected abstract readEntries(channel: string): Promise<E[]>;
  /** Whether the engine connection is up (sweeping while it is down only fails). */
  protected abstract get reachable(): boolean;

  async start(handler: PresenceStoreHandler<E>): Promise<void> {
    this.#handler = handler;
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => void this.#sweep().catch(() => {}), this.sweepIntervalMs).unref();
  }

  async add(channel: string, entry: E, ttlMs: number): Promise<{ joined: boolean }> {
    this.ttlMs = ttlMs;
    let own = this.#own.get(channel);
    if (!own) this.#own.set(channel, (own = new Map()));
    own.set(entry.client, entry);
    this.#unremoved.delete(key(channel, entry.client));
    return this.#written(async () => {
      if (!this.#registered) await this.#heartbeat();
      return { joined: await this.addEntry(this.#node, channel, entry) };
    });
  }

  async remove(channel: string, client: string): Promise<{ left: boolean; entry?: E }> {
    const own = this.#own.get(channel);
    const entry = own?.get(client);
    if (own?.delete(client) && own.size === 0) this.#own.delete(channel);
    try {
      return (await this.#written(() => this.removeEntry(this.#node, channel, client, false))) ?? { left: false };
    } catch (err) {
      if (entry) this.#unremoved.set(key(channel, client), { channel, entry });
      throw err;
    }
  }

  async refresh(_entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void> {
    this.ttlMs = ttlMs;
    await this.#heartbeat();
  }

  entries(channel: string): Promise<E[]> {
    return this.readEntries(channel);
  }

  /**
   * Stops sweeping. A node leaving with entries (or with writes it could not make) keeps its
   * heartbeat entry, so what it leaves behind expires and is cleaned up like a dead node's.
   */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    if (this.#own.size > 0 || this.#unremoved.size > 0 || this.#stale || !this.#registered || !this.reachable) return;
    await this.unregister(this.#node).catch(() => {});
  }

  async #heartbeat(): Promise<void> {
    const known = await this.#written(() => this.beat(this.#node, this.ttlMs));
    const wasRegistered = this.#registered;
    this.#registered = true;
    if (!known && wasRegistered) {
      this.#node = newNodeId();
      await this.beat(this.#node, this.ttlMs);
      this.#stale = true;
    }
    if (this.#stale) await this.#rewrite();
  }

  /** Write every live entry again and retry failed removals, reporting the transitions that brings. */
  async #rewrite(): Promise<void> {
    this.#stale = false;
    await this.#written(async () => {
      for (const [channel, own] of this.#own) {
        for (const entry of own.values()) await this.#restore(channel, entry);
      }
      for (const [k, { channel, entry }] of this.#unremoved) {
        const removed = await this.removeEntry(this.#node, channel, entry.client, false);
        this.#unremoved.delete(k);
        // Nothing to remove: the failed attempt did remove it (its answer was lost), unannounced.
        const left = removed ? removed.left : !(await this.readEntries(channel)).some((e) => e.user === entry.user);
        if (left) this.#handler?.onExpired(channel, removed?.entry ?? entry);
      }
    });
  }

  /** Put back one live entry; a removal or replacement that ran meanwhile wins over the rewrite. */
  async #restore(channel: string, entry: E): Promise<void> {
    const joined = await this.addEntry(this.#node, channel, entry);
    const current = this.#own.get(channel)?.get(entry.client);
    if (current === entry) {
      if (joined) this.#handler?.onRestored?.(channel, entry);
    } else if (current) {
      await this.addEntry(this.#node, channel, current);
    } else {
      await this.removeEntry(this.#node, channel, entry.client, false);
    }
  }

  async #written<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.#stale = true;
      throw err;
    }
  }

  /** Engine housekeeping, run with every sweep (e.g. purging delete markers). */
  protected async tidy(): Promise<void> {}

  async #sweep(): Promise<void> {
    if (!this.reachable) return;
    await this.tidy();
    // Long enough to walk a dead node's entries; a claimer that dies with it frees the job after this.
    const leaseMs = Math.max(30_000, this.ttlMs);
    for (let i = 0; i < CLAIMS_PER_SWEEP; i++) {
      const dead = await this.claimDead(leaseMs);
      if (dead === undefined) return;
      await this.removeNode(dead, (channel, { entry, left }) => {
        if (left) this.#handler?.onExpired(channel, entry);
      });
    }
  }
}

const newNodeId = () => randomBytes(9).toString('base64url');

/** An entry as stored by a shared store, with `n`, the node that owns it. */
export type Owned<E> = E & { n: string };

/** The entry without its owner, as callers see it. */
export function withoutOwner<E>(stored: Owned<E>): E {
  const { n: _owner, ...entry } = stored;
  return entry as E;
}
