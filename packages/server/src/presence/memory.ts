/**
 * @module presence/memory
 * Single-process presence store. Entries expire like the Redis hash entries they stand in for:
 * a sweep removes the ones whose owner stopped refreshing them and reports users left that way.
 */
import type { PresenceMember } from '@herald/protocol';
import { toMembers, type PresenceEntry, type PresenceStore, type PresenceStoreHandler } from './presence.js';

interface Stored {
  entry: PresenceEntry;
  expiresAt: number;
}

export interface MemoryPresenceOptions {
  /** How often expired entries are looked for. */
  sweepIntervalMs?: number;
}

export class MemoryPresenceStore implements PresenceStore {
  /** channel → client id → entry. */
  readonly #channels = new Map<string, Map<string, Stored>>();
  #handler: PresenceStoreHandler | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  readonly #sweepIntervalMs: number;

  constructor(options: MemoryPresenceOptions = {}) {
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  }

  async start(handler: PresenceStoreHandler): Promise<void> {
    this.#handler = handler;
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => this.#sweep(), this.#sweepIntervalMs).unref();
  }

  async add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<{ joined: boolean }> {
    let clients = this.#channels.get(channel);
    if (!clients) this.#channels.set(channel, (clients = new Map()));
    const joined = !clients.has(entry.client) && !hasUser(clients, entry.user);
    clients.set(entry.client, { entry, expiresAt: Date.now() + ttlMs });
    return { joined };
  }

  async remove(channel: string, client: string): Promise<{ left: boolean; entry?: PresenceEntry }> {
    const clients = this.#channels.get(channel);
    const stored = clients?.get(client);
    if (!clients || !stored) return { left: false };
    clients.delete(client);
    if (clients.size === 0) this.#channels.delete(channel);
    return { left: !hasUser(clients, stored.entry.user), entry: stored.entry };
  }

  async refresh(entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void> {
    const expiresAt = Date.now() + ttlMs;
    for (const { channel, client } of entries) {
      const stored = this.#channels.get(channel)?.get(client);
      if (stored) stored.expiresAt = expiresAt;
    }
  }

  async members(channel: string): Promise<PresenceMember[]> {
    const clients = this.#channels.get(channel);
    return clients ? toMembers([...clients.values()].map((s) => s.entry)) : [];
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#channels.clear();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [channel, clients] of this.#channels) {
      for (const [client, stored] of clients) {
        if (stored.expiresAt > now) continue;
        clients.delete(client);
        if (!hasUser(clients, stored.entry.user)) this.#handler?.onExpired(channel, stored.entry);
      }
      if (clients.size === 0) this.#channels.delete(channel);
    }
  }
}

function hasUser(clients: Map<string, Stored>, user: string): boolean {
  for (const s of clients.values()) if (s.entry.user === user) return true;
  return false;
}
