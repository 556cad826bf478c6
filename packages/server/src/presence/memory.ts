/**
 * @module presence/memory
 * Single-process presence store. Each entry has its own expiry: a sweep removes the ones whose
 * owner stopped refreshing them and reports users left that way.
 */
import type { PresenceEntry, PresenceStore, PresenceStoreHandler } from './presence.js';

interface Stored<E> {
  entry: E;
  expiresAt: number;
}

/** One channel: entries by client id, and how many each user has (so join/leave is O(1)). */
class ChannelPresence<E extends PresenceEntry> {
  readonly clients = new Map<string, Stored<E>>();
  readonly users = new Map<string, number>();

  /** Returns whether this is the user's first connection. */
  set(entry: E, expiresAt: number): boolean {
    const existing = this.clients.get(entry.client);
    this.clients.set(entry.client, { entry, expiresAt });
    if (existing) return false;
    const count = this.users.get(entry.user) ?? 0;
    this.users.set(entry.user, count + 1);
    return count === 0;
  }

  /** Returns the removed entry and whether it was the user's last connection. */
  delete(client: string): { entry: E; last: boolean } | undefined {
    const stored = this.clients.get(client);
    if (!stored) return undefined;
    this.clients.delete(client);
    const count = (this.users.get(stored.entry.user) ?? 1) - 1;
    if (count === 0) this.users.delete(stored.entry.user);
    else this.users.set(stored.entry.user, count);
    return { entry: stored.entry, last: count === 0 };
  }
}

export interface MemoryPresenceOptions {
  /** How often expired entries are looked for. */
  sweepIntervalMs?: number;
}

export class MemoryPresenceStore<E extends PresenceEntry = PresenceEntry> implements PresenceStore<E> {
  readonly #channels = new Map<string, ChannelPresence<E>>();
  #handler: PresenceStoreHandler<E> | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  readonly #sweepIntervalMs: number;

  constructor(options: MemoryPresenceOptions = {}) {
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  }

  async start(handler: PresenceStoreHandler<E>): Promise<void> {
    this.#handler = handler;
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => this.#sweep(), this.#sweepIntervalMs).unref();
  }

  async add(channel: string, entry: E, ttlMs: number): Promise<{ joined: boolean }> {
    let presence = this.#channels.get(channel);
    if (!presence) this.#channels.set(channel, (presence = new ChannelPresence<E>()));
    return { joined: presence.set(entry, Date.now() + ttlMs) };
  }

  async remove(channel: string, client: string): Promise<{ left: boolean; entry?: E }> {
    const presence = this.#channels.get(channel);
    const removed = presence?.delete(client);
    if (!presence || !removed) return { left: false };
    if (presence.clients.size === 0) this.#channels.delete(channel);
    return { left: removed.last, entry: removed.entry };
  }

  async refresh(entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void> {
    const expiresAt = Date.now() + ttlMs;
    for (const { channel, client } of entries) {
      const stored = this.#channels.get(channel)?.clients.get(client);
      if (stored) stored.expiresAt = expiresAt;
    }
  }

  async entries(channel: string): Promise<E[]> {
    const presence = this.#channels.get(channel);
    return presence ? [...presence.clients.values()].map((s) => s.entry) : [];
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#channels.clear();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [channel, presence] of this.#channels) {
      for (const [client, stored] of presence.clients) {
        if (stored.expiresAt > now) continue;
        if (presence.delete(client)?.last) this.#handler?.onExpired(channel, stored.entry);
      }
      if (presence.clients.size === 0) this.#channels.delete(channel);
    }
  }
}
