/**
 * @module protocols/pusher/presence
 * Pusher presence on Herald's presence tracker: one entry per connection (the socket id) in the
 * engine's shared store, carrying the member's `user_info`, so a user is one member however many
 * tabs and nodes it has. The store says atomically which connection was a user's first and
 * last, so `member_added` / `member_removed` are published once per user across the cluster
 * (server.ts's presence `announce` carries `user_info` on the join event); a node that dies has its
 * entries expired and its members removed by another node.
 */
import type { PresenceEntry } from '../../presence/presence.js';
import type { PresenceTracker } from '../../presence/tracker.js';
import { heraldChannel, type PusherApp } from './apps.js';

/** A presence entry with the member's `user_info` (any JSON value). */
export interface PusherEntry extends PresenceEntry {
  user_info?: unknown;
}

export interface MemberData {
  user_id: string;
  user_info?: unknown;
}

/** Pusher's limits: 128-character user ids, 1 KB user objects. */
const MAX_USER_ID = 128;
const MAX_USER_INFO_BYTES = 1024;

export interface PresenceSnapshot {
  ids: string[];
  hash: Record<string, unknown>;
  count: number;
}

export class PusherPresence {
  constructor(readonly tracker: PresenceTracker) {}

  /** `channel_data` as pusher-js sends it; Laravel's integer ids and their strings are one user. */
  static parseMember(channelData: string): MemberData | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(channelData);
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { user_id: id, user_info: info } = parsed as { user_id?: unknown; user_info?: unknown };
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0 || String(id).length > MAX_USER_ID) return undefined;
    if (info !== undefined && Buffer.byteLength(JSON.stringify(info)) > MAX_USER_INFO_BYTES) return undefined;
    return info === undefined ? { user_id: String(id) } : { user_id: String(id), user_info: info };
  }

  /** Add this connection as `member`; resolves with the channel's members, itself included. */
  async join(app: PusherApp, channel: string, socketId: string, member: MemberData): Promise<PresenceSnapshot> {
    const entry: PusherEntry = { user: member.user_id, client: socketId };
    if (member.user_info !== undefined) entry.user_info = member.user_info;
    await this.tracker.join(heraldChannel(app, channel), entry);
    return this.snapshot(app, channel);
  }

  leave(app: PusherApp, channel: string, socketId: string): Promise<void> {
    return this.tracker.leave(heraldChannel(app, channel), socketId);
  }

  async snapshot(app: PusherApp, channel: string): Promise<PresenceSnapshot> {
    const entries = (await this.tracker.store.entries(heraldChannel(app, channel))) as PusherEntry[];
    // No prototype: a user id is any string, "__proto__" included.
    const hash = Object.create(null) as Record<string, unknown>;
    for (const e of entries) if (!Object.hasOwn(hash, e.user)) hash[e.user] = e.user_info ?? null;
    const ids = Object.keys(hash);
    return { ids, hash, count: ids.length };
  }
}
