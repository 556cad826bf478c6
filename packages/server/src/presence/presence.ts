/**
 * @module presence/presence
 * The presence store interface: who is in which channel, kept apart from the broker (as
 * Centrifuge does) so an engine can hold it differently from history: in memory, as Redis hashes
 * (presence/redis.ts), as NATS key-value entries (presence/nats.ts), or in the primary of
 * `--workers` (presence/ipc.ts). Channel occupancy across nodes (presence/occupancy.ts) is the same
 * problem one level up, so it uses the same stores with one entry per node.
 *
 * Contract:
 * - Entries are per connection; a user is a member while at least one of its connections is.
 *   `add` and `remove` say, atomically per channel, whether the change made the user join
 *   (its first connection) or leave (its last), so exactly one node announces each transition.
 * - Entries expire `ttlMs` after their owner last refreshed them, so a node that dies leaves no
 *   ghosts. The memory store keeps an expiry per entry; the shared stores keep one per node (a
 *   node's heartbeat refreshes all its entries at once) and remove a dead node's entries as one
 *   job claimed by one surviving node. When expiry removes a user's last entry, the store reports
 *   a `leave` through `onExpired`, on exactly one node.
 * - Adding an entry that exists replaces it (occupancy entries carry a subscriber count).
 */
import type { ClientInfo, PresenceMember } from '@herald/protocol';

/** One connection in a channel. `info` and `at` (when it was set, unix ms) only in presence, not occupancy. */
export interface PresenceEntry extends Required<Pick<ClientInfo, 'user' | 'client'>> {
  info?: Record<string, unknown>;
  at?: number;
}

/**
 * Connections in channels (presence), nodes with subscribers in channels (occupancy), occupied
 * channels per namespace (channels: protocols/pusher/channel-index.ts), and each user's
 * connections, keyed by user instead of channel (`limits.user_connections`, control/limits.ts).
 */
export type PresenceSpace = 'presence' | 'occupancy' | 'channels' | 'connections';

/** One entry's key in maps of entries of several channels. */
export const entryKey = (channel: string, client: string) => `${channel}\u0000${client}`;

export interface PresenceStoreHandler<E extends PresenceEntry = PresenceEntry> {
  /** Expiry removed this user's last connection from the channel. */
  onExpired(channel: string, entry: E): void;
  /**
   * This node had been taken for dead (it missed its heartbeats, e.g. during a network split) and
   * its entries removed; the store put them back, and this one was the user's first again.
   */
  onRestored?(channel: string, entry: E): void;
}

export interface PresenceStore<E extends PresenceEntry = PresenceEntry> {
  start(handler: PresenceStoreHandler<E>): Promise<void>;
  /** Add (or replace) a connection; `joined` when it is the user's first one in the channel. */
  add(channel: string, entry: E, ttlMs: number): Promise<{ joined: boolean }>;
  /** Remove a connection; `left` when it was the user's last one. Removing an absent entry is a no-op. */
  remove(channel: string, client: string): Promise<{ left: boolean; entry?: E }>;
  /** Push back the expiry of this node's live connections (ones already gone are not revived); called even with none. */
  refresh(entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void>;
  entries(channel: string): Promise<E[]>;
  close(): Promise<void>;
}

/**
 * Group per-connection entries into members, one per user, in first-seen order. A user with
 * several connections (tabs) is one member whose info is the most recently set one (`at`).
 */
export function toMembers(entries: Iterable<PresenceEntry>): PresenceMember[] {
  const byUser = new Map<string, { member: PresenceMember; at: number }>();
  for (const e of entries) {
    let found = byUser.get(e.user);
    if (found) found.member.clients.push(e.client);
    else byUser.set(e.user, (found = { member: { user: e.user, clients: [e.client] }, at: -1 }));
    if (e.info !== undefined && (e.at ?? 0) > found.at) {
      found.member.info = e.info;
      found.at = e.at ?? 0;
    }
  }
  return [...byUser.values()].map((v) => v.member);
}
