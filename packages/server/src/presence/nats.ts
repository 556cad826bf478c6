/**
 * @module presence/nats
 * Presence (or occupancy) shared by every node on one NATS, in a JetStream key-value bucket: one
 * key per channel holding its entries (each with its owner node), and one key holding every
 * node's heartbeat deadline. Every change is a compare-and-set on the key's revision, retried on
 * conflict, so join/leave transitions are atomic across nodes.
 *
 * Expiry is per node (presence/shared.ts). NATS keeps no per-node list of entries: the claimer of
 * a dead node scans the channel keys, which costs in proportion to the channels with presence, an
 * acceptable price for an event as rare as a node dying. Deadlines are the nodes' own clocks, so
 * keep them in sync (NTP) well within the TTL.
 */
import type { Bucket, KV, KvEntry } from '@nats-io/kv';
import type { PresenceEntry } from './presence.js';
import { SharedPresenceStore, type Removed } from './shared.js';

type Stored<E> = E & { n: string };
interface ChannelDoc<E> {
  e: Record<string, Stored<E>>;
}
type NodesDoc = Record<string, number>;

export interface NatsPresenceOptions {
  /** The bucket of this store's space, created on first use; rejects with `unavailable` while NATS is down. */
  bucket: () => Promise<KV>;
  /** Whether an error is a lost compare-and-set (someone else changed the key first). */
  isConflict: (err: unknown) => boolean;
  /** Whether NATS is connected. */
  connected: () => boolean;
  sweepIntervalMs: number;
  claimLeaseMs?: number;
  tidyIntervalMs?: number;
}

const NODES = 'nodes';
/** How often a node purges the delete markers of channels left empty (a bucket keeps one per key otherwise). */
const TIDY_INTERVAL_MS = 10 * 60_000;
/** Compare-and-set attempts before an operation gives up (only under heavy contention on one key). */
const MAX_ATTEMPTS = 50;

export class NatsPresenceStore<E extends PresenceEntry = PresenceEntry> extends SharedPresenceStore<E> {
  readonly #options: NatsPresenceOptions;
  #nextTidy: number;

  constructor(options: NatsPresenceOptions) {
    super(options.sweepIntervalMs, options.claimLeaseMs);
    this.#options = options;
    this.#nextTidy = Date.now() + (options.tidyIntervalMs ?? TIDY_INTERVAL_MS);
  }

  protected get reachable(): boolean {
    return this.#options.connected();
  }

  protected async beat(node: string, ttlMs: number): Promise<boolean> {
    const deadline = Date.now() + ttlMs;
    return (await this.#mutate<NodesDoc, boolean>(NODES, (nodes) => ({ doc: { ...nodes, [node]: deadline }, result: nodes !== undefined && node in nodes }))) === true;
  }

  protected async addEntry(node: string, channel: string, entry: E): Promise<boolean> {
    const joined = await this.#mutate<ChannelDoc<E>, boolean>(channelKey(channel), (doc) => {
      const e = { ...doc?.e };
      const first = !(entry.client in e) && !Object.values(e).some((s) => s.user === entry.user);
      e[entry.client] = { ...entry, n: node };
      return { doc: { e }, result: first };
    });
    return joined === true;
  }

  protected async removeEntry(node: string, channel: string, client: string, onlyIfOwned: boolean): Promise<Removed<E> | undefined> {
    const [removed] = await this.#removeWhere(channelKey(channel), (c, stored) => c === client && (!onlyIfOwned || stored.n === node));
    return removed;
  }

  protected async claimDead(leaseMs: number): Promise<string | undefined> {
    const now = Date.now();
    return this.#mutate<NodesDoc, string>(NODES, (nodes) => {
      const due = Object.entries(nodes ?? {}).find(([, deadline]) => deadline <= now)?.[0];
      if (!nodes || due === undefined) return undefined;
      const id = due.startsWith('~') ? due.slice(1) : due;
      return { doc: { ...without(nodes, due), [`~${id}`]: now + leaseMs }, result: id };
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
    await this.#mutate<NodesDoc, void>(NODES, (nodes) => (nodes && node in nodes ? { doc: without(nodes, node), result: undefined } : undefined));
  }

  protected async readEntries(channel: string): Promise<E[]> {
    const doc = await this.#read<ChannelDoc<E>>(await this.#options.bucket(), channelKey(channel));
    return Object.values(doc?.value?.e ?? {}).map(strip);
  }

  /** Removes the matching entries; each user leaves (left: true) with its last removed entry, if none remain. */
  async #removeWhere(key: string, match: (client: string, stored: Stored<E>) => boolean): Promise<Array<Removed<E>>> {
    const removed = await this.#mutate<ChannelDoc<E>, Array<Removed<E>>>(key, (doc) => {
      const gone = Object.entries(doc?.e ?? {}).filter(([client, stored]) => match(client, stored));
      if (!doc || gone.length === 0) return undefined;
      const e = { ...doc.e };
      for (const [client] of gone) delete e[client];
      const remaining = new Set(Object.values(e).map((s) => s.user));
      const result = gone.map(([, stored]) => ({ entry: strip(stored), left: false }));
      const seen = new Set<string>();
      for (let i = result.length - 1; i >= 0; i--) {
        const user = result[i]!.entry.user;
        result[i]!.left = !remaining.has(user) && !seen.has(user);
        seen.add(user);
      }
      return { doc: remaining.size > 0 ? { e } : undefined, result };
    });
    return removed ?? [];
  }

  /** The key's document (undefined if deleted) and revision; undefined if it never existed. */
  async #read<T>(kv: KV, key: string): Promise<{ value: T | undefined; revision: number } | undefined> {
    const entry = await kv.get(key);
    if (!entry) return undefined;
    return { value: entry.operation === 'PUT' ? entry.json<T>() : undefined, revision: entry.revision };
  }

  /**
   * Compare-and-set loop on one key: `change` sees the current document and returns the new one
   * (undefined: delete the key) with a result, or undefined to leave the key alone.
   */
  async #mutate<T, R>(key: string, change: (doc: T | undefined) => { doc: T | undefined; result: R } | undefined): Promise<R | undefined> {
    const kv = await this.#options.bucket();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read<T>(kv, key);
      const next = change(current?.value);
      if (!next) return undefined;
      try {
        if (next.doc !== undefined) {
          const data = JSON.stringify(next.doc);
          if (current) await kv.update(key, data, current.revision);
          else await kv.create(key, data);
        } else if (current?.value !== undefined) {
          await kv.delete(key, { previousSeq: current.revision });
        }
        return next.result;
      } catch (err) {
        if (!this.#options.isConflict(err)) throw err;
      }
    }
    throw new Error(`presence: key ${key} kept changing over ${MAX_ATTEMPTS} attempts`);
  }
}

// Key tokens allow only [-/_=.a-zA-Z0-9]; base64url keeps any channel name within them.
const channelKey = (channel: string) => `c.${Buffer.from(channel).toString('base64url')}`;
const channelOf = (key: string) => Buffer.from(key.slice(2), 'base64url').toString();

function strip<E>(stored: Stored<E>): E {
  const { n: _owner, ...entry } = stored;
  return entry as E;
}

function without<T extends object>(doc: T, key: string): T {
  const copy = { ...doc };
  delete (copy as Record<string, unknown>)[key];
  return copy;
}
