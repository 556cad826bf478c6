/**
 * @module auth/access
 * Who may do what on which channel. With client auth off (no JWT key configured) everyone is
 * anonymous and namespaces alone decide. With it on:
 * - a token's permission claim, when present, limits the channels (glob patterns, `*` = any run);
 * - anonymous clients only reach namespaces with `allow_anonymous`;
 * - `name#u1,u2` channels are limited to those users, whatever else allows;
 * - `private` namespaces need a subscription token whose `channel` claim names the channel. Such a
 *   token opens private channels only: elsewhere it must still be valid for the channel, and the
 *   rules above apply as if it were absent.
 */
import { ErrorCode } from '@herald/protocol';
import type { JWTPayload } from 'jose';
import { INTERNAL_NAMESPACE, type ResolvedChannel } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import { TokenRefused, type JwtOptions, type JwtVerifier } from './jwt.js';

export type Action = 'subscribe' | 'publish' | 'presence';

export interface ClientIdentity {
  /** User id; empty for an anonymous client. */
  user: string;
  /** Unix seconds when the credentials expire, if they do. */
  expires?: number;
  /** From the permission claim: allowed channel patterns per action; absent = no extra limit. */
  permissions?: Partial<Record<Action, RegExp[]>>;
  /** The token's `jti` claim: the control API can revoke the token by it. */
  jti?: string;
  /** The token's `iat` claim (Unix seconds): the control API can revoke a user's tokens issued before a time. */
  issuedAt?: number;
  /** The member's info in presence channels (token `info` claim, connect hook). */
  info?: Record<string, unknown>;
  /** Channels the server subscribes the connection to (token `channels` claim, connect hook). */
  channels?: string[];
  /** `hook`: from the connect hook, so its expiry is handled by the refresh hook, not by a client token. */
  source?: 'token' | 'hook';
  /** The connect hook's `data`, for the client's `connected` frame. */
  data?: unknown;
}

export const ANONYMOUS: ClientIdentity = Object.freeze({ user: '' });

const forbidden = (message: string) => new HeraldError(ErrorCode.Forbidden, message);

function pattern(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** Users a `…#u1,u2` channel is limited to, or undefined for an ordinary channel. */
export function channelUsers(channel: string): string[] | undefined {
  const hash = channel.lastIndexOf('#');
  return hash === -1 ? undefined : channel.slice(hash + 1).split(',').filter(Boolean);
}

export class AccessControl {
  /** Checks the admin token, the only subscription token of the internal namespace; unset = admin off. */
  adminToken: ((token: string) => boolean) | undefined;
  /** Refuses identities whose token is revoked or whose user is blocked (control/control.ts); unset = none are. */
  admit: ((identity: ClientIdentity) => Promise<void>) | undefined;

  /**
   * Channels private by another protocol's rules (a Pusher app's `private-` and `presence-`
   * channels, which pusher-js clients open with a signature): Herald clients treat them like
   * channels of a `private` namespace, so Herald's protocol is no way around that signature.
   */
  restricted: ((channel: ResolvedChannel) => boolean) | undefined;

  constructor(
    readonly verifier: JwtVerifier | undefined,
    readonly options: Pick<JwtOptions, 'user_claim' | 'permissions_claim'> & Partial<Pick<JwtOptions, 'channels_claim' | 'info_claim'>>,
  ) {}

  get enabled(): boolean {
    return this.verifier !== undefined;
  }

  /** Verify a connection token and turn its claims into an identity. */
  async identify(token: string): Promise<ClientIdentity> {
    if (!this.verifier) return ANONYMOUS;
    const claims = await this.verifier.verify(token);
    if (claims.channel !== undefined) {
      // Subscription tokens name one channel; accepted here they would drop the permission limits.
      throw new TokenRefused(ErrorCode.Unauthorized, 'a subscription token cannot authenticate a connection', 'invalid_token');
    }
    const user = claims[this.options.user_claim];
    if ((typeof user !== 'string' || user === '') && typeof user !== 'number') {
      throw new TokenRefused(ErrorCode.Unauthorized, `token has no "${this.options.user_claim}" claim`, 'invalid_token');
    }
    const identity: ClientIdentity = { user: String(user), source: 'token' };
    if (claims.exp !== undefined) identity.expires = claims.exp;
    this.#serverClaims(claims, identity);
    const permissions = this.#permissions(claims);
    if (permissions) identity.permissions = permissions;
    if (typeof claims.jti === 'string') identity.jti = claims.jti;
    if (typeof claims.iat === 'number') identity.issuedAt = claims.iat;
    await this.admit?.(identity);
    return identity;
  }

  async checkSubscribe(identity: ClientIdentity, channel: ResolvedChannel, subscriptionToken: string | undefined): Promise<void> {
    if (channel.namespace === INTERNAL_NAMESPACE) {
      const message = 'internal channels need the admin token as subscription token';
      if (subscriptionToken === undefined) throw forbidden(message);
      if (!this.adminToken?.(subscriptionToken)) throw new TokenRefused(ErrorCode.Forbidden, message);
      return;
    }
    this.#checkUserLimited(identity, channel.name);
    if (subscriptionToken !== undefined) await this.#checkSubscriptionToken(identity, channel, subscriptionToken);
    if (!this.#private(channel)) return this.#check(identity, 'subscribe', channel);
    if (subscriptionToken === undefined) throw forbidden(`channel "${channel.name}" is private: subscribe with a subscription token`);
  }

  checkPublish(identity: ClientIdentity, channel: ResolvedChannel): void {
    if (channel.namespace === INTERNAL_NAMESPACE) throw forbidden('internal channels are published to by Herald only');
    this.#checkUserLimited(identity, channel.name);
    if (this.#private(channel)) throw forbidden(`channel "${channel.name}" is private: clients cannot publish to it`);
    this.#check(identity, 'publish', channel);
  }

  /** Seeing a channel's members and join/leave events; a private channel also needs `subscribed`. */
  checkPresence(identity: ClientIdentity, channel: ResolvedChannel, subscribed: boolean): void {
    this.#checkUserLimited(identity, channel.name);
    if (this.#private(channel) && !subscribed) throw forbidden(`channel "${channel.name}" is private: subscribe to it before asking for its presence`);
    this.#check(identity, 'presence', channel);
  }

  #private(channel: ResolvedChannel): boolean {
    return channel.options.private || (this.restricted?.(channel) ?? false);
  }

  #check(identity: ClientIdentity, action: Action, channel: ResolvedChannel): void {
    if (!this.enabled) return;
    if (identity.user === '') {
      if (!channel.options.allow_anonymous) throw forbidden(`namespace "${channel.namespace}" needs an authenticated client`);
      return;
    }
    const allowed = identity.permissions?.[action];
    if (allowed && !allowed.some((p) => p.test(channel.name))) throw forbidden(`token does not allow ${action} on "${channel.name}"`);
  }

  #checkUserLimited(identity: ClientIdentity, channel: string): void {
    const users = channelUsers(channel);
    if (users && (identity.user === '' || !users.includes(identity.user))) throw forbidden(`channel "${channel}" is limited to other users`);
  }

  async #checkSubscriptionToken(identity: ClientIdentity, channel: ResolvedChannel, token: string): Promise<void> {
    if (!this.verifier) throw forbidden('subscription tokens need client auth to be configured');
    const claims = await this.verifier.verify(token, ['channel']);
    if (claims.channel !== channel.name) throw new TokenRefused(ErrorCode.Forbidden, 'subscription token is for another channel');
    const sub = claims[this.options.user_claim];
    if (sub !== undefined && String(sub) !== identity.user) throw new TokenRefused(ErrorCode.Forbidden, 'subscription token is for another user');
  }

  /** The `channels` and `info` claims, when present (names from auth.jwt.channels_claim / info_claim). */
  #serverClaims(claims: JWTPayload, identity: ClientIdentity): void {
    const channels = this.options.channels_claim ? claims[this.options.channels_claim] : undefined;
    if (channels !== undefined) {
      if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string')) {
        throw new TokenRefused(ErrorCode.Unauthorized, `token "${this.options.channels_claim}" claim must be a list of channel names`, 'invalid_token');
      }
      identity.channels = channels as string[];
    }
    const info = this.options.info_claim ? claims[this.options.info_claim] : undefined;
    if (info !== undefined) {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new TokenRefused(ErrorCode.Unauthorized, `token "${this.options.info_claim}" claim must be a JSON object`, 'invalid_token');
      identity.info = info as Record<string, unknown>;
    }
  }

  #permissions(claims: JWTPayload): ClientIdentity['permissions'] {
    const raw = claims[this.options.permissions_claim];
    if (raw === undefined) return undefined;
    const bad = () => new TokenRefused(ErrorCode.Unauthorized, `token "${this.options.permissions_claim}" claim must map subscribe/publish/presence to lists of channel patterns`, 'invalid_token');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad();
    const out: NonNullable<ClientIdentity['permissions']> = {};
    for (const [action, globs] of Object.entries(raw as Record<string, unknown>)) {
      if (!['subscribe', 'publish', 'presence'].includes(action) || !Array.isArray(globs) || !globs.every((g) => typeof g === 'string')) throw bad();
      out[action as Action] = (globs as string[]).map(pattern);
    }
    return out;
  }
}
