/**
 * @module admin/admin
 * The admin page (`/admin`, on only when `admin.token` is set) and its data.
 *
 * The page updates through Herald itself: once a second this module samples the node and, when
 * an admin page is watching, publishes the sample to the node's internal channel
 * `_herald:admin.<node>`, which the page subscribes to with the client SDK from `/client.js`.
 * That channel lives in a reserved namespace: subscribing needs the admin token as subscription
 * token, and nobody can publish to it (auth/access, api/publish). The sample is published
 * straight to the engine, so it is not counted as user traffic in the published total.
 *
 * The page also looks up a user's connections on every node and disconnects them, through the
 * control API's own actions (control/control.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CloseCode, ErrorCode } from '@herald/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiKeyMatcher } from '../auth/api-key.js';
import type { FailureLimiter } from '../auth/failure-limiter.js';
import { INTERNAL_NAMESPACE, type Channels } from '../channels/channels.js';
import type { Control } from '../control/control.js';
import { HeraldError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import { bodyMember } from '../api/json-body.js';
import { toRawJson, type RawJson } from '../json/raw.js';
import { ADMIN_CSS, ADMIN_HTML, ADMIN_JS } from './page.js';

export interface AdminOptions {
  token: string;
  hub: Hub;
  channels: Channels;
  nodeName: string;
  engine: string;
  limiter: FailureLimiter;
  connections(): { websocket: number; sse: number; longpoll: number; pusher: number };
  /** A user's connections on every node, and disconnecting them (the control API's). */
  control: Pick<Control, 'connections' | 'disconnect'>;
  /** Publish as the HTTP API does (checks included). */
  publish(channel: string, event: string | undefined, data: RawJson): Promise<{ channel: string; offset: number; epoch: string }>;
}

export interface Admin {
  /** The admin token, as a check usable for subscription tokens on the internal channel. */
  readonly tokenMatches: (token: string) => boolean;
  close(): void;
}

/** Seconds of messages/s history the page's sparkline starts with. */
const HISTORY = 120;
const TOP = 10;

/** Strict, page-specific headers: everything from this origin, nothing inline, never framed. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The internal channel of one node: its name made channel-safe. */
export function adminChannel(nodeName: string): string {
  return `${INTERNAL_NAMESPACE}:admin.${nodeName.replace(/[^A-Za-z0-9_\-.]/g, '_')}`;
}

export function registerAdmin(app: FastifyInstance, options: AdminOptions): Admin {
  const { hub } = options;
  const counters = hub.counters;
  const channel = adminChannel(options.nodeName);
  const tokenMatches = apiKeyMatcher([options.token]);
  const started = Date.now();
  const LAG_RESOLUTION_MS = 20;
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();

  const rates: Array<{ t: number; published: number; delivered: number }> = [];
  let previous = { published: counters.published, delivered: counters.delivered };
  let previousChannels = new Map<string, number>();

  function topChannels() {
    const all = [...hub.channelStats()].filter((c) => !c.channel.startsWith(`${INTERNAL_NAMESPACE}:`));
    const current = new Map(all.map((c) => [c.channel, c.published]));
    const withRate = all.map((c) => ({ channel: c.channel, subscribers: c.subscribers, perSecond: c.published - (previousChannels.get(c.channel) ?? 0) }));
    previousChannels = current;
    return {
      bySubscribers: [...withRate].sort((a, b) => b.subscribers - a.subscribers).slice(0, TOP).map(({ channel, subscribers }) => ({ channel, subscribers })),
      byRate: withRate.filter((c) => c.perSecond > 0).sort((a, b) => b.perSecond - a.perSecond).slice(0, TOP).map(({ channel, perSecond }) => ({ channel, perSecond })),
    };
  }

  function snapshot(watching: boolean) {
    const memory = process.memoryUsage();
    const connections = options.connections();
    const latest = rates.at(-1);
    const top = watching ? topChannels() : { bySubscribers: [], byRate: [] };
    const sample = {
      t: Date.now(),
      node: options.nodeName,
      engine: options.engine,
      pid: process.pid,
      nodeVersion: process.version,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
      // The monitor's timer itself takes `resolution` per sample: only the excess is lag.
      eventLoopLagMs: Math.max(0, Math.round((lag.mean / 1e6 - LAG_RESOLUTION_MS) * 100) / 100),
      connections: { ...connections, total: connections.websocket + connections.sse + connections.longpoll + connections.pusher },
      subscriptions: hub.subscriptionCount(),
      channels: hub.channelCount(),
      totals: { published: counters.published, delivered: counters.delivered, dropped: counters.dropped, slowConsumers: counters.slowConsumerCloses },
      rate: { published: latest?.published ?? 0, delivered: latest?.delivered ?? 0 },
      top,
      errors: counters.recentErrors.slice(-10),
    };
    lag.reset();
    return sample;
  }

  const ticker = setInterval(() => {
    const now = { published: counters.published, delivered: counters.delivered };
    if (rates.push({ t: Date.now(), published: now.published - previous.published, delivered: now.delivered - previous.delivered }) > HISTORY) rates.shift();
    previous = now;
    // Sampling is cheap; walking channels and publishing happen only while a page watches.
    if (hub.subscriberCount(channel) === 0) return;
    const resolved = options.channels.resolve(channel);
    hub.broker
      .publish(resolved.name, { event: 'stats', data: toRawJson(snapshot(true)) }, { size: resolved.options.history_size, ttlMs: resolved.options.history_ttl_seconds * 1000 })
      .catch((err: unknown) => app.log.warn({ err }, 'admin stats publish failed'));
  }, 1000).unref();

  async function requireAdmin(req: FastifyRequest): Promise<void> {
    if (options.limiter.blocked(req.ip)) throw new HeraldError(ErrorCode.RateLimited, 'too many failed authentications from this address; retry after a minute');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && tokenMatches(bearer)) return;
    options.limiter.recordFailure(req.ip);
    counters.authFailure('admin', bearer ? 'invalid_credentials' : 'missing_credentials');
    throw new HeraldError(ErrorCode.Unauthorized, 'admin API needs Authorization: Bearer <admin.token>', bearer ? 'invalid_credentials' : 'missing_credentials');
  }

  const asset = (type: string, body: string) => (_req: FastifyRequest, reply: FastifyReply) =>
    reply.header('content-type', type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(body);
  // The page and its assets hold no data: they are public; every piece of data needs the token.
  app.get('/admin', asset('text/html; charset=utf-8', ADMIN_HTML));
  app.get('/admin/admin.js', asset('text/javascript; charset=utf-8', ADMIN_JS));
  app.get('/admin/admin.css', asset('text/css; charset=utf-8', ADMIN_CSS));

  void app.register(async (scope) => {
    scope.addHook('onRequest', requireAdmin);
    scope.get('/admin/api/session', async () => ({ channel, samples: rates, snapshot: snapshot(false) }));
    scope.post<{ Body: { channel: string; event?: string; data: unknown } }>(
      '/admin/api/publish',
      {
        schema: {
          body: {
            type: 'object',
            required: ['channel', 'data'],
            additionalProperties: false,
            properties: { channel: { type: 'string', minLength: 1 }, event: { type: 'string', minLength: 1, maxLength: 128 }, data: {} },
          },
        },
      },
      (req) => options.publish(req.body.channel, req.body.event, bodyMember(req, 'data')),
    );
    const userParams = { type: 'object', properties: { user: { type: 'string', minLength: 1, maxLength: 256 } } };
    scope.get<{ Params: { user: string } }>('/admin/api/users/:user/connections', { schema: { params: userParams } }, (req) => options.control.connections(req.params.user));
    scope.post<{ Params: { user: string }; Body: { client?: string } }>(
      '/admin/api/users/:user/disconnect',
      { schema: { params: userParams, body: { type: 'object', additionalProperties: false, properties: { client: { type: 'string', minLength: 1, maxLength: 64 } } } } },
      (req) => options.control.disconnect(req.body.client === undefined ? { user: req.params.user } : { user: req.params.user, client: req.body.client }, CloseCode.ServerReconnect, 'disconnected by an administrator'),
    );
  });

  return {
    tokenMatches,
    close() {
      clearInterval(ticker);
      lag.disable();
    },
  };
}
