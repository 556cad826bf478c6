/**
 * @module presence/ipc
 * Presence and occupancy shared by the workers of `herald serve --workers N` on the memory
 * engine: the primary holds one memory store per space, the workers reach it through the cluster
 * IPC requests of broker/ipc.ts. The primary remembers which worker added each entry; when a
 * worker exits, or an entry expires, the leave is handed to one live worker to announce (the
 * primary has no clients, webhooks or hub of its own).
 */
import type { Worker } from 'node:cluster';
import { MemoryPresenceStore } from './memory.js';
import type { PresenceEntry, PresenceSpace, PresenceStore, PresenceStoreHandler } from './presence.js';

export type PresenceOp = 'add' | 'remove' | 'refresh' | 'entries';

/** Worker side: every call answered by the primary. */
export class IpcPresenceStore<E extends PresenceEntry> implements PresenceStore<E> {
  #handler: PresenceStoreHandler<E> | undefined;

  constructor(readonly call: (op: PresenceOp, args: unknown[]) => Promise<unknown>) {}

  async start(handler: PresenceStoreHandler<E>): Promise<void> {
    this.#handler = handler;
  }

  async add(channel: string, entry: E, ttlMs: number): Promise<{ joined: boolean }> {
    return (await this.call('add', [channel, entry, ttlMs])) as { joined: boolean };
  }

  async remove(channel: string, client: string): Promise<{ left: boolean; entry?: E }> {
    return (await this.call('remove', [channel, client])) as { left: boolean; entry?: E };
  }

  async refresh(entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void> {
    if (entries.length > 0) await this.call('refresh', [entries, ttlMs]);
  }

  async entries(channel: string): Promise<E[]> {
    return (await this.call('entries', [channel])) as E[];
  }

  async close(): Promise<void> {}

  /** The primary picked this worker to announce a leave. */
  expired(channel: string, entry: E): void {
    this.#handler?.onExpired(channel, entry);
  }
}

const ownKey = (space: string, channel: string, client: string) => JSON.stringify([space, channel, client]);

/** Primary side. */
export class PresenceHost {
  readonly #stores = new Map<PresenceSpace, MemoryPresenceStore>();
  /** Each entry's worker, by (space, channel, client). */
  readonly #owners = new Map<string, Worker>();
  /** Workers whose stores are up (they made a presence call): the ones that can announce. */
  readonly #ready = new Set<Worker>();
  /** Leaves noticed while no worker could announce them (e.g. the only worker is being replaced). */
  #waiting: Array<[PresenceSpace, string, PresenceEntry]> = [];

  /** `send` hands a leave to a worker to announce. */
  constructor(readonly send: (worker: Worker, space: PresenceSpace, channel: string, entry: PresenceEntry) => void) {}

  async handle(worker: Worker, space: PresenceSpace, sweepIntervalMs: number, op: PresenceOp, args: unknown[]): Promise<unknown> {
    const store = await this.#store(space, sweepIntervalMs);
    if (!worker.isDead() && !this.#ready.has(worker)) {
      this.#ready.add(worker);
      for (const waiting of this.#waiting.splice(0)) this.#announce(...waiting);
    }
    switch (op) {
      case 'add': {
        const [channel, entry, ttlMs] = args as [string, PresenceEntry, number];
        this.#owners.set(ownKey(space, channel, entry.client), worker);
        return store.add(channel, entry, ttlMs);
      }
      case 'remove': {
        const [channel, client] = args as [string, string];
        this.#owners.delete(ownKey(space, channel, client));
        return store.remove(channel, client);
      }
      case 'refresh':
        return store.refresh(...(args as [Array<{ channel: string; client: string }>, number]));
      case 'entries':
        return store.entries(args[0] as string);
    }
  }

  /** A worker is gone with its connections: its entries leave now rather than after the TTL. */
  async workerExited(worker: Worker): Promise<void> {
    this.#ready.delete(worker);
    for (const [key, owner] of this.#owners) {
      if (owner !== worker) continue;
      this.#owners.delete(key);
      const [space, channel, client] = JSON.parse(key) as [PresenceSpace, string, string];
      const removed = await this.#stores.get(space)?.remove(channel, client);
      if (removed?.left && removed.entry) this.#announce(space, channel, removed.entry);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((s) => s.close()));
  }

  #announce(space: PresenceSpace, channel: string, entry: PresenceEntry): void {
    const worker = [...this.#ready].find((w) => w.isConnected());
    if (worker) this.send(worker, space, channel, entry);
    else this.#waiting.push([space, channel, entry]);
  }

  async #store(space: PresenceSpace, sweepIntervalMs: number): Promise<MemoryPresenceStore> {
    let store = this.#stores.get(space);
    if (!store) {
      store = new MemoryPresenceStore({ sweepIntervalMs });
      this.#stores.set(space, store);
      await store.start({
        onExpired: (channel, entry) => {
          this.#owners.delete(ownKey(space, channel, entry.client));
          this.#announce(space, channel, entry);
        },
      });
    }
    return store;
  }
}
