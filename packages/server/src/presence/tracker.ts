/**
 * @module presence/tracker
 * This node's side of presence: adds and removes its connections in the store, keeps their
 * entries alive while they live, and announces join/leave to every node through the broker's
 * ephemeral events (so they reach subscribers like publications, but never history).
 */
import type { PresenceMember } from '@herald/protocol';
import type { Logger } from 'pino';
import type { Broker, ChannelEvent } from '../broker/broker.js';
import type { PresenceEntry, PresenceStore, PresenceStoreHandler } from './presence.js';

export interface PresenceTrackerOptions {
  ttlMs: number;
  refreshMs: number;
  /** Told of each join/leave this node announces: exactly one node announces each (webhooks). */
  onAnnounce?(event: ChannelEvent): void;
}

const key = (channel: string, client: string) => `${channel}\u0000${client}`;

export class PresenceTracker implements PresenceStoreHandler {
  /** This node's live entries, refreshed every `refreshMs`. */
  readonly #live = new Map<string, { channel: string; client: string }>();
  /** Clients whose entries are no longer refreshed (test hook standing in for a dead node). */
  readonly #frozen = new Set<string>();
  /** Per entry, the last store operation: add and remove of one entry must reach the store in order. */
  readonly #ops = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly store: PresenceStore,
    readonly broker: Broker,
    readonly options: PresenceTrackerOptions,
    readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.store.start(this);
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#refresh(), this.options.refreshMs).unref();
  }

  join(channel: string, entry: PresenceEntry): Promise<void> {
    this.#live.set(key(channel, entry.client), { channel, client: entry.client });
    return this.#serial(channel, entry.client, async () => {
      const { joined } = await this.store.add(channel, entry, this.options.ttlMs);
      if (joined) await this.#announce({ channel, type: 'join', info: { user: entry.user, client: entry.client } });
    });
  }

  leave(channel: string, client: string): Promise<void> {
    this.#live.delete(key(channel, client));
    return this.#serial(channel, client, async () => {
      const { left, entry } = await this.store.remove(channel, client);
      if (left && entry) await this.#announce({ channel, type: 'leave', info: { user: entry.user, client: entry.client } });
    });
  }

  members(channel: string): Promise<PresenceMember[]> {
    return this.store.members(channel);
  }

  onExpired(channel: string, entry: PresenceEntry): void {
    this.#live.delete(key(channel, entry.client));
    void this.#announce({ channel, type: 'leave', info: { user: entry.user, client: entry.client } });
  }

  /** Stop refreshing a client's entries, as if its node had died: they expire after the TTL. For tests. */
  freeze(client: string): void {
    this.#frozen.add(client);
  }

  /** Stop refreshing; the store belongs to whoever created it. */
  close(): void {
    clearInterval(this.#timer);
  }

  #refresh(): void {
    const entries = [...this.#live.values()].filter((e) => !this.#frozen.has(e.client));
    if (entries.length === 0) return;
    this.store.refresh(entries, this.options.ttlMs).catch((err: unknown) => this.log.warn({ err }, 'presence refresh failed'));
  }

  async #announce(event: ChannelEvent): Promise<void> {
    this.options.onAnnounce?.(event);
    try {
      await this.broker.publishEvent(event);
    } catch (err) {
      this.log.warn({ err, channel: event.channel }, `presence ${event.type} not delivered`);
    }
  }

  /**
   * Runs store operations of one entry in order. Never rejects: a store that fails is logged, and
   * the entry's TTL (or the next refresh) repairs it, so a subscription never fails for presence.
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
