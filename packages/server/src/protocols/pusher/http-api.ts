/**
 * @module protocols/pusher/http-api
 * The Pusher HTTP API the server SDKs call, at `/apps/{id}/…`: trigger (`events`,
 * `batch_events`), channel queries and `terminate_connections`. Every request is signed
 * (http-auth.ts). A trigger is a Herald publish into the app's namespace, so it reaches
 * Herald-protocol subscribers, history and metrics like any other.
 */
import { ErrorCode } from '@herald/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ReplayCache } from '../../auth/replay-cache.js';
import type { PublishMessage } from '../../broker/broker.js';
import type { Channels } from '../../channels/channels.js';
import { HeraldError } from '../../errors.js';
import type { Hub } from '../../hub/hub.js';
import { toRawJson } from '../../json/raw.js';
import type { ChannelOccupancy } from '../../presence/occupancy.js';
import { rawBody } from '../../api/json-body.js';
import { channelKind, heraldChannel, pusherChannel, userChannel, validChannelName, type PusherApp, type PusherApps } from './apps.js';
import { triggerData } from './codec.js';
import { TERMINATE_EVENT } from './connection.js';
import type { ChannelIndex } from './channel-index.js';
import { checkRequest } from './http-auth.js';
import type { PusherPresence } from './presence.js';

/** Pusher's limits on one trigger. */
const MAX_CHANNELS = 100;
const MAX_BATCH = 100;
const MAX_EVENT_NAME = 200;
const SOCKET_ID = /^\d+\.\d+$/;

export interface PusherApiContext {
  apps: PusherApps;
  hub: Hub;
  channels: Channels;
  presence: PusherPresence;
  occupancy: ChannelOccupancy;
  index: ChannelIndex;
  replay: ReplayCache;
  maxJsonDepth: number;
  accepting(): boolean;
}

interface Trigger {
  name?: unknown;
  data?: unknown;
  channel?: unknown;
  channels?: unknown;
  socket_id?: unknown;
  info?: unknown;
}

const bad = (message: string) => new HeraldError(ErrorCode.BadRequest, message);

export function registerPusherApi(server: FastifyInstance, ctx: PusherApiContext): void {
  const apps = new WeakMap<FastifyRequest, PusherApp>();
  const appOf = (req: FastifyRequest) => apps.get(req)!;

  void server.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      const { appId } = req.params as { appId: string };
      apps.set(req, await checkRequest(ctx.apps, ctx.replay, { method: req.method, url: req.url, appId, body: rawBody(req) }));
    });

    api.post('/apps/:appId/events', async (req) => {
      const body = object(req.body);
      const channels = body.channels ?? (body.channel === undefined ? undefined : [body.channel]);
      if (!Array.isArray(channels) || channels.length === 0 || channels.length > MAX_CHANNELS) throw bad(`"channels" must list 1 to ${MAX_CHANNELS} channels`);
      const info = await trigger(appOf(req), { ...body, channels });
      return info ? { channels: info } : {};
    });

    api.post('/apps/:appId/batch_events', async (req) => {
      const { batch } = object(req.body) as { batch?: unknown };
      if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_BATCH) throw bad(`"batch" must hold 1 to ${MAX_BATCH} events`);
      const app = appOf(req);
      const events = batch.map((e) => object(e));
      for (const e of events) checkTrigger(app, { ...e, channels: [e.channel] });
      const infos = await Promise.all(events.map((e) => trigger(app, { ...e, channels: [e.channel] })));
      return infos.some((i) => i) ? { batch: infos.map((i, n) => i?.[events[n]!.channel as string] ?? {}) } : {};
    });

    api.get('/apps/:appId/channels', async (req) => {
      const app = appOf(req);
      const { filter_by_prefix: prefix = '', info = '' } = req.query as { filter_by_prefix?: string; info?: string };
      const wanted = info.split(',').filter(Boolean);
      if (wanted.includes('user_count') && !prefix.startsWith('presence-')) throw bad('info=user_count needs filter_by_prefix=presence-');
      const out: Record<string, { user_count?: number }> = {};
      for (const name of await ctx.index.channels(app.namespace)) {
        const channel = pusherChannel(name);
        if (!channel.startsWith(prefix) || channelKind(channel) === 'user') continue;
        out[channel] = wanted.includes('user_count') ? { user_count: (await ctx.presence.snapshot(app, channel)).count } : {};
      }
      return { channels: out };
    });

    api.get('/apps/:appId/channels/:channelName', async (req) => {
      const app = appOf(req);
      const channel = channelParam(req);
      const { info = '' } = req.query as { info?: string };
      const wanted = info.split(',').filter(Boolean);
      if (wanted.includes('user_count') && channelKind(channel) !== 'presence') throw bad('user_count is only available for presence channels');
      const { subscribers, nodes } = await ctx.occupancy.subscribers(heraldChannel(app, channel));
      const out: Record<string, unknown> = { occupied: nodes > 0 };
      if (wanted.includes('user_count')) out.user_count = (await ctx.presence.snapshot(app, channel)).count;
      if (wanted.includes('subscription_count')) out.subscription_count = subscribers;
      return out;
    });

    api.get('/apps/:appId/channels/:channelName/users', async (req) => {
      const channel = channelParam(req);
      if (channelKind(channel) !== 'presence') throw bad('users are only available for presence channels');
      const { ids } = await ctx.presence.snapshot(appOf(req), channel);
      return { users: ids.map((id) => ({ id })) };
    });

    api.post('/apps/:appId/users/:userId/terminate_connections', async (req) => {
      const { userId } = req.params as { userId: string };
      if (userId.length === 0 || userId.length > 128) throw bad('user id must be 1 to 128 characters');
      await publish(appOf(req), userChannel(userId), { event: TERMINATE_EVENT, data: toRawJson({}) });
      return {};
    });
  });

  function checkTrigger(app: PusherApp, t: Trigger): void {
    const { name, channels, socket_id: socketId } = t;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_EVENT_NAME) throw bad(`"name" must be a string of 1 to ${MAX_EVENT_NAME} characters`);
    if (name.startsWith('pusher:') || name.startsWith('pusher_internal:')) throw bad('event names starting with pusher: are reserved');
    if (t.data === undefined) throw bad('"data" is required');
    const size = typeof t.data === 'string' ? Buffer.byteLength(t.data) : Buffer.byteLength(JSON.stringify(t.data));
    if (size > app.max_event_bytes) throw new HeraldError(ErrorCode.PayloadTooLarge, `"data" is over the app's ${app.max_event_bytes} bytes`);
    if (!(channels as unknown[]).every(validChannelName)) throw bad('every channel must be 1 to 200 of A-Z a-z 0-9 _ - = @ , . ; (or #server-to-user-…)');
    if (socketId !== undefined && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId))) throw bad('"socket_id" must look like 123.456');
  }

  /** Publish one trigger to its channels; with `info`, answer what it asked for per channel. */
  async function trigger(app: PusherApp, t: Trigger): Promise<Record<string, Record<string, number>> | undefined> {
    checkTrigger(app, t);
    const data = typeof t.data === 'string' ? triggerData(t.data, ctx.maxJsonDepth) : toRawJson(t.data);
    const message: PublishMessage = { event: t.name as string, data };
    // The hub's echo rule holds a publication back from the connection named in `info.client`.
    if (typeof t.socket_id === 'string') Object.assign(message, { info: { user: '', client: t.socket_id }, echo: false });
    const channels = t.channels as string[];
    await Promise.all(channels.map((c) => publish(app, c, message)));
    const wanted = typeof t.info === 'string' ? t.info.split(',').filter(Boolean) : [];
    if (wanted.length === 0) return undefined;
    const out: Record<string, Record<string, number>> = {};
    for (const channel of channels) {
      const entry: Record<string, number> = {};
      if (wanted.includes('subscription_count')) entry.subscription_count = (await ctx.occupancy.subscribers(heraldChannel(app, channel))).subscribers;
      if (wanted.includes('user_count') && channelKind(channel) === 'presence') entry.user_count = (await ctx.presence.snapshot(app, channel)).count;
      out[channel] = entry;
    }
    return out;
  }

  async function publish(app: PusherApp, channel: string, message: PublishMessage): Promise<void> {
    if (!ctx.accepting()) throw new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down; retry on another node');
    await ctx.hub.publish(ctx.channels.resolve(heraldChannel(app, channel)), message);
  }
}

function object(value: unknown): Trigger {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('the body must be a JSON object');
  return value as Trigger;
}

function channelParam(req: FastifyRequest): string {
  const { channelName } = req.params as { channelName: string };
  if (!validChannelName(channelName)) throw bad('invalid channel name');
  return channelName;
}
