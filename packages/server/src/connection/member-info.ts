/**
 * @module connection/member-info
 * One connection's info in the presence channels it is a member of: the connection's own (token
 * `info` claim, connect hook), replaced per channel by the subscribe hook's or by the client's
 * `presence_update`. Each carries when it was set, so a user with several connections (tabs) shows
 * the info set last (presence/presence.ts toMembers). Also the budget of `presence_update`s.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import type { PresenceEntry } from '../presence/presence.js';
import { TokenBucket } from './rate-limit.js';

type Info = Record<string, unknown>;

export class MemberInfo {
  /** Made on first use, like the budget: most connections never set info per channel. */
  #byChannel: Map<string, { info: Info; at: number }> | undefined;
  #own: { info: Info; at: number } | undefined;
  #updates: TokenBucket | undefined;

  constructor(readonly updatesPerSecond: number) {}

  /** The connection's own info, e.g. after a refresh brought a new one. */
  setOwn(info: Info | undefined): void {
    this.#own = info && { info, at: Date.now() };
  }

  set(channel: string, info: Info): void {
    (this.#byChannel ??= new Map()).set(channel, { info, at: Date.now() });
  }

  forget(channel: string): void {
    this.#byChannel?.delete(channel);
  }

  /** Throws `rate_limited` past `presence.update_per_second`; the connection stays open. */
  takeUpdate(): void {
    // Fractional rates (one every few seconds) still allow one update at a time.
    this.#updates ??= new TokenBucket(this.updatesPerSecond, Math.max(1, this.updatesPerSecond));
    if (!this.#updates.take()) throw new HeraldError(ErrorCode.RateLimited, `more than ${this.#updates.rate} presence updates per second; slow down`);
  }

  entry(channel: string, user: string, client: string): PresenceEntry {
    const set = this.#byChannel?.get(channel) ?? this.#own;
    return set ? { user, client, info: set.info, at: set.at } : { user, client };
  }
}
