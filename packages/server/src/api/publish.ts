/**
 * @module api/publish
 * The backend-facing publish routes: `/api/publish`, `/api/broadcast` and seed 002's
 * `/api/event`. Each answers once the engine holds the publication, never after the fan-out.
 */
import { ErrorCode, type BroadcastResponse, type PublishResponse } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PublishMessage } from '../broker/broker.js';
import { INTERNAL_NAMESPACE } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { RawJson } from '../json/raw.js';
import type { ApiContext } from './context.js';
import { bodyMember, bodyRoot } from './json-body.js';
import { broadcastRoute, eventRoute, publishRoute, seedRoute } from './operations.js';
import type { BroadcastBody, EventBody, PublishBody, SeedQuery } from './schemas.js';

/** Publish as the API does: refuses while shutting down, and to internal channels. */
export function apiPublisher(ctx: ApiContext) {
  return async function publish(name: string, event: string | undefined, data: RawJson, key?: string): Promise<PublishResponse> {
    if (!ctx.accepting()) throw new HeraldError(ErrorCode.ShuttingDown, 'node is shutting down; retry on another node');
    const channel = ctx.channels.resolve(name);
    if (channel.namespace === INTERNAL_NAMESPACE) throw new HeraldError(ErrorCode.Forbidden, 'internal channels are published to by Herald only');
    const message: PublishMessage = { data };
    if (event !== undefined) message.event = event;
    if (key !== undefined) message.key = key;
    const position = await ctx.hub.publish(channel, message);
    return { channel: channel.name, ...position };
  };
}

export function registerPublishRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const publish = apiPublisher(ctx);

  const once = <T>(req: FastifyRequest, work: () => Promise<T>) => ctx.idempotency.run(idempotencyKey(req), req.url, work);

  app.post<{ Body: Static<typeof PublishBody> }>('/api/publish', { schema: publishRoute }, (req) =>
    once(req, () => publish(req.body.channel, req.body.event, bodyMember(req, 'data'), req.body.key)),
  );

  app.post<{ Body: Static<typeof EventBody> }>('/api/event', { schema: eventRoute }, (req) =>
    once(req, () => publish(req.body.channel, req.body.event, bodyMember(req, 'payload'))),
  );

  // Seed 000's backends POST the payload itself, with the channel in the query string.
  for (const path of ['/update', '/publish']) {
    app.post<{ Querystring: Static<typeof SeedQuery> }>(path, { schema: seedRoute(path) }, (req) =>
      publish(req.query.channel ?? ctx.config.server.default_channel, undefined, bodyRoot(req)),
    );
  }

  app.post<{ Body: Static<typeof BroadcastBody> }>('/api/broadcast', { schema: broadcastRoute }, (req) =>
    once(req, () => broadcast(req.body, bodyMember(req, 'data'))),
  );

  async function broadcast({ channels, event, key }: Static<typeof BroadcastBody>, data: RawJson): Promise<BroadcastResponse> {
    const results = await Promise.all(
      channels.map((channel) =>
        publish(channel, event, data, key).catch((err: unknown) => {
          if (!(err instanceof HeraldError)) throw err;
          return { channel, error: err.toBody() };
        }),
      ),
    );
    return { results };
  }
}

function idempotencyKey(req: FastifyRequest): string | undefined {
  const key = req.headers['idempotency-key'];
  return typeof key === 'string' ? key : undefined;
}
