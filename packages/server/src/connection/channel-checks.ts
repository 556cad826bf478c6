/**
 * @module connection/channel-checks
 * The checks a subscription passes on every transport before any permission or hook is asked.
 */
import { ErrorCode } from '@herald/protocol';
import type { ResolvedChannel } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { ConnectionContext } from './connection.js';
import type { TransportName } from './transport.js';

/**
 * The checks every subscription passes, whatever the transport: a valid channel, in a configured
 * namespace that allows this transport, not yet among the subscriber's `current` channels, within
 * the per-connection limit, with room for one more subscriber. Throws a HeraldError.
 */
/** The channels a connection holds or is taking: `has` and `size` are all a check needs. */
export interface Taken {
  has(channel: string): boolean;
  readonly size: number;
}

export function checkChannel(ctx: ConnectionContext, transport: TransportName, name: unknown, current: Taken): ResolvedChannel {
  const channel = ctx.channels.resolve(name);
  if (!channel.options.transports.includes(transport)) {
    throw new HeraldError(ErrorCode.TransportNotAllowed, `namespace "${channel.namespace}" does not allow ${transport}`);
  }
  if (current.has(channel.name)) throw new HeraldError(ErrorCode.AlreadySubscribed, `already subscribed to "${channel.name}"`);
  const limit = ctx.limits.max_subscriptions_per_connection;
  if (current.size >= limit) throw new HeraldError(ErrorCode.TooManySubscriptions, `at most ${limit} subscriptions per connection`);
  const max = channel.options.max_subscribers;
  if (max > 0 && ctx.hub.subscriberCount(channel.name) >= max) {
    throw new HeraldError(ErrorCode.ChannelFull, `channel "${channel.name}" has its maximum of ${max} subscribers`);
  }
  return channel;
}

/** Seeing a channel's presence needs a namespace that keeps it: the same refusal on every transport. */
export function checkPresenceNamespace(channel: ResolvedChannel): void {
  if (!channel.options.presence) throw new HeraldError(ErrorCode.BadRequest, `namespace "${channel.namespace}" has no presence`);
}

/** Channels asked for all at once (SSE, long-poll): each checked as above against the ones before it. */
export function checkChannels(ctx: ConnectionContext, transport: TransportName, names: readonly unknown[]): ResolvedChannel[] {
  const seen = new Set<string>();
  return names.map((name) => {
    const channel = checkChannel(ctx, transport, name, seen);
    seen.add(channel.name);
    return channel;
  });
}
