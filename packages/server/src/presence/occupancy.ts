/**
 * @module presence/occupancy
 * Which channels have subscribers on any node, and how many. Each node is one entry per channel
 * it has local subscribers in (all entries share one user), so the presence store's join/leave
 * transitions are exactly "first node occupied the channel" and "last node left it", announced
 * by one node, including when the last node dies. Each entry carries its node's subscriber count,
 * rewritten at most once per `countIntervalMs` while it changes.
 */
import type { Logger } from 'pino';
import type { PresenceEntry, PresenceStore } from './presence.js';
import { PresenceTracker } from './tracker.js';

export interface OccupancyEntry extends PresenceEntry {
  subscribers: number;
}

export interface OccupancyOptions {
  /** This node's entry id (unique per process). */
  node: string;
  ttlMs: number;
  refreshMs: number;
  countIntervalMs: number;
  /** This node's subscribers in a channel. */
  count(channel: string): number;
  /** The channel got its first subscriber on any node, or lost its last one everywhere. */
  onChange(channel: string, occupied: boolean): void;
}

export class ChannelOccupancy {
  readonly #tracker: PresenceTracker<OccupancyEntry>;
  readonly #options: OccupancyOptions;
  /** Locally occupied channels and the count last written for each. */
  readonly #written = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(store: PresenceStore<OccupancyEntry>, options: OccupancyOptions, log: Logger) {
    this.#options = options;
    this.#tracker = new PresenceTracker(store, { ttlMs: options.ttlMs, refreshMs: options.refreshMs, announce: (type, channel) => options.onChange(channel, type === 'join') }, log);
  }

  async start(): Promise<void> {
    await this.#tracker.start();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#writeCounts(), this.#options.countIntervalMs).unref();
  }

  /** Told by the hub when a channel gets its first local subscriber or loses its last one. */
  changed(channel: string, occupied: boolean): void {
    if (!occupied) {
      this.#written.delete(channel);
      void this.#tracker.leave(channel, this.#options.node);
      return;
    }
    // Told before the first subscription is counted: a channel occupied here has at least one.
    this.#write(channel, Math.max(1, this.#options.count(channel)));
  }

  /** Subscribers of a channel on every node, as of each node's last count. */
  async subscribers(channel: string): Promise<{ subscribers: number; nodes: number }> {
    const entries = await this.#tracker.store.entries(channel);
    return { subscribers: entries.reduce((sum, e) => sum + e.subscribers, 0), nodes: entries.length };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#tracker.close();
  }

  #write(channel: string, subscribers: number): void {
    this.#written.set(channel, subscribers);
    void this.#tracker.join(channel, { client: this.#options.node, user: '', subscribers });
  }

  #writeCounts(): void {
    for (const [channel, written] of this.#written) {
      const count = this.#options.count(channel);
      if (count !== written && count > 0) this.#write(channel, count);
    }
  }
}
