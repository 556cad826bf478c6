/**
 * @module api/channels
 * Read side of the backend API: active channels, a channel's subscribers on every node, presence
 * and history.
 */
import { ErrorCode, type ChannelInfo, type HistoryResponse, type PresenceResult } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Publication } from '../broker/broker.js';
import { checkPresenceNamespace } from '../connection/channel-checks.js';
import { HeraldError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { ApiContext } from './context.js';
import { channelRoute, channelsRoute, historyRoute, presenceRoute } from './operations.js';
import type { ChannelParams, HistoryQuery } from './schemas.js';

export function registerChannelRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/channels', { schema: channelsRoute }, async () => ({ channels: ctx.hub.channels() }));

  app.get<{ Params: Static<typeof ChannelParams> }>('/api/channels/:channel', { schema: channelRoute }, async (req): Promise<ChannelInfo> => {
    const channel = ctx.channels.resolve(req.params.channel);
    const { subscribers, nodes } = await ctx.occupancy.subscribers(channel.name);
    return { channel: channel.name, occupied: nodes > 0, subscribers, nodes };
  });

  app.get<{ Params: Static<typeof ChannelParams> }>('/api/channels/:channel/presence', { schema: presenceRoute }, async (req): Promise<PresenceResult> => {
    const channel = ctx.channels.resolve(req.params.channel);
    checkPresenceNamespace(channel);
    return { channel: channel.name, members: await ctx.presence.members(channel.name) };
  });

  app.get<{ Params: Static<typeof ChannelParams>; Querystring: Static<typeof HistoryQuery> }>(
    '/api/channels/:channel/history',
    { schema: historyRoute },
    async (req, reply) => {
      const channel = ctx.channels.resolve(req.params.channel);
      const { since, epoch } = req.query;
      if ((since === undefined) !== (epoch === undefined)) {
        throw new HeraldError(ErrorCode.BadRequest, 'since and epoch go together: pass both (from a message or an earlier answer) or neither');
      }
      const max = ctx.config.limits.history_limit;
      const limit = Math.min(req.query.limit ?? max, max);
      const history = { size: channel.options.history_size, ttlMs: channel.options.history_ttl_seconds * 1000 };
      const query = since === undefined ? { limit } : { limit, since: { offset: since, epoch: epoch! } };
      const { publications, ...position } = await ctx.broker.history(channel.name, query, history);
      return reply.type('application/json; charset=utf-8').send(historyText({ channel: channel.name, ...position }, publications, ctx.hub));
    },
  );
}

/**
 * The history answer as JSON text, built around each publication's raw `data`, each encoded on its own: one that cannot be
 * encoded (a bug, a poisoned value) is left out, and the answer says `recovered: false, reason:
 * "undeliverable"`, rather than every read of the channel failing with 500.
 */
function historyText(head: Omit<HistoryResponse, 'publications'>, publications: Publication[], hub: Hub): string {
  const parts: string[] = [];
  let failure: { offset: number; err: unknown } | undefined;
  for (const pub of publications) {
    const { offset, event, key, data } = pub;
    try {
      if (hub.encodeFault?.(pub, undefined)) throw new Error(`fault injected by a test into the history encoder (offset ${offset})`);
      // `data` is the publisher's raw JSON text (json/raw): spliced in, never re-serialised.
      parts.push(`{"offset":${offset},${event === undefined ? '' : `"event":${JSON.stringify(event)},`}${key === undefined ? '' : `"key":${JSON.stringify(key)},`}"data":${data}}`);
    } catch (err) {
      failure ??= { offset, err };
    }
  }
  if (failure) hub.reportFailure('history', { channel: head.channel, offset: failure.offset }, failure.err);
  const meta = JSON.stringify(failure ? { ...head, recovered: false, reason: 'undeliverable' } : head);
  return `${meta.slice(0, -1)},"publications":[${parts.join(',')}]}`;
}
