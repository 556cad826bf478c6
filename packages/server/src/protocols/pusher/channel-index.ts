/**
 * @module protocols/pusher/channel-index
 * Which channels of an app are occupied on any node, for `GET /apps/{id}/channels`. Each node
 * keeps one entry per channel it has subscribers in, under the app's namespace, in a presence
 * store of its own space (shared through the engine): the tracker refreshes them and a dead
 * node's expire with it, so the list is the cluster's, not this node's.
 */
import type { Logger } from 'pino';
import type { PresenceStore } from '../../presence/presence.js';
import { PresenceTracker } from '../../presence/tracker.js';

export interface ChannelIndexOptions {
  /** This node's id (unique per process). */
  node: string;
  ttlMs: number;
  refreshMs: number;
}

export class ChannelIndex {
  readonly #tracker: PresenceTracker;

  constructor(
    store: PresenceStore,
    readonly options: ChannelIndexOptions,
    log: Logger,
  ) {
    // Nothing to announce: the list is read when asked for.
    this.#tracker = new PresenceTracker(store, { ttlMs: options.ttlMs, refreshMs: options.refreshMs, announce: () => {} }, log);
  }

  start(): Promise<void> {
    return this.#tracker.start();
  }

  /** A channel of `namespace` got its first subscriber on this node, or lost its last one. */
  changed(namespace: string, channel: string, occupied: boolean): void {
    const client = `${this.options.node}\u0000${channel}`;
    if (occupied) void this.#tracker.join(namespace, { user: channel, client });
    else void this.#tracker.leave(namespace, client);
  }

  /** The occupied channels of `namespace` on every node (Herald names). */
  async channels(namespace: string): Promise<string[]> {
    const entries = await this.#tracker.store.entries(namespace);
    return [...new Set(entries.map((e) => e.user))];
  }

  close(): Promise<void> {
    return this.#tracker.close();
  }
}
