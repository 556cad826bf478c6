/**
 * @module presence/presence
 * The presence store interface: who is in which channel, kept apart from the broker (as
 * Centrifuge does) so an engine can hold it differently from history — Redis, for instance, as one
 * hash per channel (field = client id) whose entries carry their own expiry.
 *
 * Contract:
 * - Entries are per connection; a user is a member while at least one of its connections is.
 *   `add` and `remove` say, atomically per channel, whether the change made the user join
 *   (its first connection) or leave (its last), so exactly one node announces each transition.
 * - Every entry expires `ttlMs` after it was last added or refreshed. The node that owns a
 *   connection refreshes it while the connection lives, so a node that dies leaves no ghosts.
 *   When expiry removes a user's last entry, the store reports a `leave` through `onExpired`.
 */
import type { ClientInfo, PresenceMember } from '@herald/protocol';

export type PresenceEntry = Required<ClientInfo>;

export interface PresenceStoreHandler {
  /** Expiry removed this user's last connection from the channel. */
  onExpired(channel: string, entry: PresenceEntry): void;
}

export interface PresenceStore {
  start(handler: PresenceStoreHandler): Promise<void>;
  /** Add (or refresh) a connection; `joined` when it is the user's first one in the channel. */
  add(channel: string, entry: PresenceEntry, ttlMs: number): Promise<{ joined: boolean }>;
  /** Remove a connection; `left` when it was the user's last one. Removing an absent entry is a no-op. */
  remove(channel: string, client: string): Promise<{ left: boolean; entry?: PresenceEntry }>;
  /** Push back the expiry of live connections (ones already gone are not revived). */
  refresh(entries: Array<{ channel: string; client: string }>, ttlMs: number): Promise<void>;
  members(channel: string): Promise<PresenceMember[]>;
  close(): Promise<void>;
}

/** Group per-connection entries into members, one per user, in first-seen order. */
export function toMembers(entries: Iterable<PresenceEntry>): PresenceMember[] {
  const byUser = new Map<string, PresenceMember>();
  for (const e of entries) {
    const member = byUser.get(e.user);
    if (member) member.clients.push(e.client);
    else byUser.set(e.user, { user: e.user, clients: [e.client] });
  }
  return [...byUser.values()];
}
