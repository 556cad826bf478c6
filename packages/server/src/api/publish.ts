/**
 * @module api/publish
 * The backend-facing publish routes: `/api/publish`, `/api/broadcast`, `/api/publish/batch`
 * (api/publish-batch) and seed 002's
 * `/api/event`. Each answers once the engine holds the publication, never after the fan-out.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, type BroadcastResponse, type PublishResponse } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INTERNAL_NAMESPACE } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { PublishMessage, PublishOnce } from '../broker/broker.js';
import type { RawJson } from '../json/raw.js';
import { seed000Channel, SEED000_DEFAULT_CHANNEL } from '../protocols/seeds/index.js';
import type { ApiContext } from './context.js';
import { registerPublishBatchRoute } from './publish-batch.js';
import { bodyMember, bodyRoot } from './json-body.js';
import { broadcastRoute, eventRoute, publishRoute, seedRoute } from './operations.js';
import type { BroadcastBody, EventBody, PublishBody, SeedQuery } from './schemas.js';

/** What a publish may carry besides channel, event and data. */
export interface ApiPublishOptions {
  /** Conflation key (docs/protocol.md#conflation). */
  key?: string;
  /** The idempotency key's claim, recorded with the publish (broker.ts). */
  once?: PublishOnce;
}

/** Publish as the API does: refuses while shutting down, and to internal channels. */
export function apiPublisher(ctx: ApiContext) {
  return async function publish(name: string, event: string | undefined, data: RawJson, options: ApiPublishOptions = {}): Promise<PublishResponse> {
    if (!ctx.accepting()) throw new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down; retry on another node');
    const channel = ctx.channels.resolve(name);
    if (channel.namespace === INTERNAL_NAMESPACE) throw new HeraldError(ErrorCode.Forbidden, 'internal channels are published to by Herald only');
    const message: PublishMessage = { data };
    if (event !== undefined) message.event = event;
    if (options.key !== undefined) message.key = options.key;
    const position = await ctx.hub.publish(channel, message, options.once);
    return { channel: channel.name, ...position };
  };
}

export function registerPublishRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const publish = apiPublisher(ctx);

  const once = <T>(req: FastifyRequest, work: (once?: PublishOnce) => Promise<T>) => ctx.idempotency.run(idempotencyKey(req.headers), req.url, work);

  app.post<{ Body: Static<typeof PublishBody> }>('/api/publish', { schema: publishRoute }, (req) =>
    once(req, (once) => publish(req.body.channel, req.body.event, bodyMember(req, 'data'), { key: req.body.key, once })),
  );

  registerPublishBatchRoute(app, ctx, publish, (req) => idempotencyKey(req.headers));

  if (!ctx.config.compat.seed002.open_event_api) registerEventRoute(app, ctx);

  // Seed 000's backends POST the payload itself, with the channel in the query string. With its
  // compatibility mode on, its two audiences are two namespaces and the answer is its 202.
  const seed000 = ctx.config.compat.seed000;
  for (const path of ['/update', '/publish'] as const) {
    app.post<{ Querystring: Static<typeof SeedQuery> }>(path, { schema: seedRoute(path) }, async (req, reply) => {
      if (!seed000.enabled) return publish(req.query.channel ?? ctx.config.server.default_channel, undefined, bodyRoot(req));
      const channel = seed000Channel(seed000, path === '/update' ? 'private' : 'public', req.query.channel ?? SEED000_DEFAULT_CHANNEL);
      await publish(channel, undefined, bodyRoot(req));
      return reply.code(202).send();
    });
  }

  app.post<{ Body: Static<typeof BroadcastBody> }>('/api/broadcast', { schema: broadcastRoute }, (req) =>
    once(req, () => broadcast(req.body, bodyMember(req, 'data'))),
  );

  async function broadcast({ channels, event, key }: Static<typeof BroadcastBody>, data: RawJson): Promise<BroadcastResponse> {
    const results = await Promise.all(
      channels.map((channel) =>
        publish(channel, event, data, { key }).catch((err: unknown) => {
          if (!(err instanceof HeraldError)) throw err;
          return { channel, error: err.toBody() };
        }),
      ),
    );
    return { results };
  }
}

/**
 * Seed 002's `POST /api/event`; with its compatibility mode on, its channel is in that mode's
 * namespace, and with `open_event_api` this route is registered outside publisher auth.
 */
export function registerEventRoute(app: FastifyInstance, ctx: ApiContext): void {
  const publish = apiPublisher(ctx);
  const seed002 = ctx.config.compat.seed002;
  app.post<{ Body: Static<typeof EventBody> }>('/api/event', { schema: eventRoute }, (req) =>
    ctx.idempotency.run(idempotencyKey(req.headers), req.url, (key) =>
      publish(seed002.enabled ? `${seed002.namespace}:${req.body.channel}` : req.body.channel, req.body.event, bodyMember(req, 'payload'), { once: key }),
    ),
  );
}

/** The request's `Idempotency-Key` (api/fast-publish reads it too). */
export function idempotencyKey(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}
