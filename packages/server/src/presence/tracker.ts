/**
 * @module presence/tracker
 * This node's side of a presence store: adds and removes its entries, keeps them alive while
 * they live, and hands each join/leave transition it is told of (exactly one node is told of
 * each) to `announce`. Connections in channels use it for presence; the node itself uses it for
 * channel occupancy (presence/occupancy.ts).
 */
import type { PresenceMember } from '@herald/protocol';
import type { Logger } from 'pino';
import { entryKey as key, toMembers, type PresenceEntry, type PresenceStore, type PresenceStoreHandler } from './presence.js';

/**
 * How `presence.ttl_seconds` is kept. Stores look for expired entries every `sweepIntervalMs`
 * (min(5 s, ttl/4)), and entries live the TTL less one such interval, so the sweep that removes a
 * dead node's entries comes within the TTL of their last refresh, as the setting promises.
 */
export function presenceTiming(ttlMs: number): { sweepIntervalMs: number; entryTtlMs: number } {
  const sweepIntervalMs = Math.max(10, Math.min(5_000, ttlMs / 4));
  return { sweepIntervalMs, entryTtlMs: ttlMs - sweepIntervalMs };
}

/** A user's first connection joined, its last one left, or one of its connections changed its info. */
export type PresenceEventType = 'join' | 'leave' | 'update';

export interface PresenceTrackerOptions<E extends PresenceEntry> {
  /** How long an entry lives without a refresh (presenceTiming's `entryTtlMs`). */
  ttlMs: number;
  refreshMs: number;
  /** A user's first connection joined a channel, or its last one left (removed, or expired with its node). */
  announce(type: PresenceEventType, channel: string, entry: E): Promise<void> | void;
}

export class PresenceTracker<E extends PresenceEntry = PresenceEntry> implements PresenceStoreHandler<E> {
  /** This node's live entries, refreshed every `refreshMs`. */
  readonly #live = new Map<string, { channel: string; client: string }>();
  /** Clients whose entries are no longer refreshed (test hook standing in for a dead node). */
  readonly #frozen = new Set<string>();
  /** Per entry, the last store operation: add and remove of one entry must reach the store in order. */
  readonly #ops = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly store: PresenceStore<E>,
    readonly options: PresenceTrackerOptions<E>,
    readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.store.start(this);
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#refresh(), this.options.refreshMs).unref();
  }

  /** Add an entry, or replace it (same client). */
  join(channel: string, entry: E): Promise<void> {
    this.#live.set(key(channel, entry.client), { channel, client: entry.client });
    return this.#serial(channel, entry.client, async () => {
      const { joined } = await this.store.add(channel, entry, this.options.ttlMs);
      if (joined) await this.#announce('join', channel, entry);
    });
  }

  /**
   * Replace a live entry's info (same client): watchers everywhere get an `update`. An entry the
   * store had lost is put back and announced as a join. An entry that left meanwhile stays gone.
   */
  update(channel: string, entry: E): Promise<void> {
    return this.#serial(channel, entry.client, async () => {
      if (!this.#live.has(key(channel, entry.client))) return;
      const { joined } = await this.store.add(channel, entry, this.options.ttlMs);
      await this.#announce(joined ? 'join' : 'update', channel, entry);
    });
  }

  leave(channel: string, client: string): Promise<void> {
    this.#live.delete(key(channel, client));
    return this.#serial(channel, client, async () => {
      const { left, entry } = await this.store.remove(channel, client);
      if (left && entry) await this.#announce('leave', channel, entry);
    });
  }

  async members(channel: string): Promise<PresenceMember[]> {
    return toMembers(await this.store.entries(channel));
  }

  onExpired(channel: string, entry: E): void {
    this.#live.delete(key(channel, entry.client));
    void this.#announce('leave', channel, entry);
  }

  onRestored(channel: string, entry: E): void {
    void this.#announce('join', channel, entry);
  }

  /** Stop refreshing a client's entries, as if its node had died: they expire after the TTL. For tests (memory store). */
  freeze(client: string): void {
    this.#frozen.add(client);
  }

  /** Stop refreshing once the operations under way are done; the store belongs to whoever created it. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#ops.values());
  }

  #refresh(): void {
    const entries = [...this.#live.values()].filter((e) => !this.#frozen.has(e.client));
    this.store.refresh(entries, this.options.ttlMs).catch((err: unknown) => this.log.warn({ err }, 'presence refresh failed'));
  }

  async #announce(type: PresenceEventType, channel: string, entry: E): Promise<void> {
    try {
      await this.options.announce(type, channel, entry);
    } catch (err) {
      this.log.warn({ err, channel }, `presence ${type} not delivered`);
    }
  }

  /**
   * Runs store operations of one entry in order. Never rejects: a failed store operation is logged
   * (a shared store redoes it with its next heartbeat; a worker's store fails only when its
   * primary is gone, and the worker with it), so a subscription never fails for presence.
   */
  #serial(channel: string, client: string, op: () => Promise<void>): Promise<void> {
    const k = key(channel, client);
    const settled = (this.#ops.get(k) ?? Promise.resolve()).then(op).catch((err: unknown) => this.log.warn({ err, channel }, 'presence store operation failed'));
    this.#ops.set(k, settled);
    void settled.then(() => {
      if (this.#ops.get(k) === settled) this.#ops.delete(k);
    });
    return settled;
  }
}
