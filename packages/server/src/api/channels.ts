/**
 * @module api/channels
 * Read side of the backend API: active channels, a channel's subscribers on every node, presence
 * and history.
 */
import { ErrorCode, type ChannelInfo, type HistoryResponse, type PresenceResult } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HistoryResult } from '../broker/broker.js';
import { checkPresenceNamespace } from '../connection/connection.js';
import { HeraldError } from '../errors.js';
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
      const result = await ctx.broker.history(channel.name, query, history);
      return reply.type('application/json; charset=utf-8').send(historyJson(channel.name, result));
    },
  );
}

/** A HistoryResponse, built around each publication's raw `data` text (json/raw) instead of serialising it. */
function historyJson(channel: string, { publications, ...position }: HistoryResult): string {
  const head: Omit<HistoryResponse, 'publications'> = { channel, ...position };
  const items = publications.map(({ offset, event, data }) => `{"offset":${offset},${event === undefined ? '' : `"event":${JSON.stringify(event)},`}"data":${data}}`);
  return `${JSON.stringify(head).slice(0, -1)},"publications":[${items.join(',')}]}`;
}
