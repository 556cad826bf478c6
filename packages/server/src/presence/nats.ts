/**
 * @module presence/nats
 * Presence (or occupancy) shared by every node on one NATS, in a JetStream key-value bucket: one
 * key per channel holding its entries (each with its owner node), and one key holding every
 * node's heartbeat deadline. Every change is a compare-and-set on the key's revision
 * (broker/nats-kv.ts), so join/leave transitions are atomic across nodes.
 *
 * Expiry is per node (presence/shared.ts). NATS keeps no per-node list of entries: the claimer of
 * a dead node scans the channel keys, which costs in proportion to the channels with presence, an
 * acceptable price for an event as rare as a node dying. Deadlines are the nodes' own clocks, so
 * keep them in sync (NTP) well within the TTL.
 */
import type { Bucket, KV, KvEntry } from '@nats-io/kv';
import { mutateKey, readKey, type Change } from '../broker/nats-kv.js';
import type { PresenceEntry } from './presence.js';
import { SharedPresenceStore, withoutOwner, type Owned, type Removed } from './shared.js';

interface ChannelDoc<E> {
  e: Record<string, Owned<E>>;
}
type NodesDoc = Record<string, number>;

export interface NatsPresenceOptions {
  /** The bucket of this store's space, created on first use; rejects with `unavailable` while NATS is down. */
  bucket: () => Promise<KV>;
  /** Whether NATS is connected. */
  connected: () => boolean;
  sweepIntervalMs: number;
  tidyIntervalMs?: number;
}

const NODES = 'nodes';
/** How often a node purges the delete markers of channels left empty (a bucket keeps one per key otherwise). */
const TIDY_INTERVAL_MS = 10 * 60_000;

export class NatsPresenceStore<E extends PresenceEntry = PresenceEntry> extends SharedPresenceStore<E> {
  readonly #options: NatsPresenceOptions;
  #nextTidy: number;

  constructor(options: NatsPresenceOptions) {
    super(options.sweepIntervalMs);
    this.#options = options;
    this.#nextTidy = Date.now() + (options.tidyIntervalMs ?? TIDY_INTERVAL_MS);
  }

  protected get reachable(): boolean {
    return this.#options.connected();
  }

  protected async beat(node: string, ttlMs: number): Promise<boolean> {
    const deadline = Date.now() + ttlMs;
    return this.#mutate<NodesDoc, boolean>(NODES, (nodes) => ({ write: { ...nodes, [node]: deadline }, result: nodes !== undefined && node in nodes }));
  }

  protected async addEntry(node: string, channel: string, entry: E): Promise<boolean> {
    return this.#mutate<ChannelDoc<E>, boolean>(channelKey(channel), (doc) => {
      const e = { ...doc?.e };
      const first = !(entry.client in e) && !Object.values(e).some((s) => s.user === entry.user);
      e[entry.client] = { ...entry, n: node };
      return { write: { e }, result: first };
    });
  }

  protected async removeEntry(node: string, channel: string, client: string, onlyIfOwned: boolean): Promise<Removed<E> | undefined> {
    const [removed] = await this.#removeWhere(channelKey(channel), (c, stored) => c === client && (!onlyIfOwned || stored.n === node));
    return removed;
  }

  protected async claimDead(leaseMs: number): Promise<string | undefined> {
    const now = Date.now();
    return this.#mutate<NodesDoc, string | undefined>(NODES, (nodes) => {
      const due = Object.entries(nodes ?? {}).find(([, deadline]) => deadline <= now)?.[0];
      if (!nodes || due === undefined) return { result: undefined };
      const id = due.startsWith('~') ? due.slice(1) : due;
      return { write: { ...without(nodes, due), [`~${id}`]: now + leaseMs }, result: id };
    });
  }

  protected async removeNode(dead: string, onRemoved: (channel: string, removed: Removed<E>) => void): Promise<void> {
    const kv = await this.#options.bucket();
    const keys: string[] = [];
    for await (const key of await kv.keys('c.*')) keys.push(key);
    for (const key of keys) {
      for (const removed of await this.#removeWhere(key, (_client, stored) => stored.n === dead)) onRemoved(channelOf(key), removed);
    }
    await this.unregister(`~${dead}`);
  }

  /**
   * Purges each delete marker with what came before it and nothing after (a purge up to its own
   * sequence), so a channel that is written to again at the same moment keeps its new entries.
   */
  protected override async tidy(): Promise<void> {
    if (Date.now() < this.#nextTidy) return;
    this.#nextTidy = Date.now() + (this.#options.tidyIntervalMs ?? TIDY_INTERVAL_MS);
    const kv = (await this.#options.bucket()) as Bucket;
    const markers: KvEntry[] = [];
    for await (const entry of await kv.history({ key: '>' })) if (entry.operation !== 'PUT') markers.push(entry);
    for (const marker of markers) await kv.jsm.streams.purge(kv.stream, { filter: kv.subjectForKey(marker.key), seq: marker.revision + 1 });
  }

  protected async unregister(node: string): Promise<void> {
    await this.#mutate<NodesDoc, void>(NODES, (nodes) => ({ write: nodes && node in nodes ? without(nodes, node) : undefined, result: undefined }));
  }

  protected async readEntries(channel: string): Promise<E[]> {
    const doc = await readKey<ChannelDoc<E>>(await this.#options.bucket(), channelKey(channel));
    return Object.values(doc?.value?.e ?? {}).map(withoutOwner);
  }

  async #mutate<T, R>(key: string, change: (doc: T | undefined) => Change<T, R>): Promise<R> {
    return mutateKey(await this.#options.bucket(), key, change);
  }

  /** Removes the matching entries; each user leaves (left: true) with its last removed entry, if none remain. */
  async #removeWhere(key: string, match: (client: string, stored: Owned<E>) => boolean): Promise<Array<Removed<E>>> {
    return this.#mutate<ChannelDoc<E>, Array<Removed<E>>>(key, (doc) => {
      const gone = Object.entries(doc?.e ?? {}).filter(([client, stored]) => match(client, stored));
      if (!doc || gone.length === 0) return { result: [] };
      const e = { ...doc.e };
      for (const [client] of gone) delete e[client];
      const remaining = new Set(Object.values(e).map((s) => s.user));
      const result = gone.map(([, stored]) => ({ entry: withoutOwner(stored), left: false }));
      const seen = new Set<string>();
      for (let i = result.length - 1; i >= 0; i--) {
        const user = result[i]!.entry.user;
        result[i]!.left = !remaining.has(user) && !seen.has(user);
        seen.add(user);
      }
      return remaining.size > 0 ? { write: { e }, result } : { remove: true, result };
    });
  }
}

// Key tokens allow only [-/_=.a-zA-Z0-9]; base64url keeps any channel name within them.
const channelKey = (channel: string) => `c.${Buffer.from(channel).toString('base64url')}`;
const channelOf = (key: string) => Buffer.from(key.slice(2), 'base64url').toString();

function without<T extends object>(doc: T, key: string): T {
  const copy = { ...doc };
  delete (copy as Record<string, unknown>)[key];
  return copy;
}
