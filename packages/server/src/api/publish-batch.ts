/**
 * @module api/publish-batch
 * `POST /api/publish/batch`: many small publications (per-user notifications, a backend's
 * burst of updates) in one request, so they pay for one HTTP round trip, one authentication and
 * one body parse instead of one each. Every item goes through the same publish path as
 * `POST /api/publish` and gets its own result.
 */
import type { PublishBatchResponse } from '@herald/protocol';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { rawMember, type RawJson } from '../json/raw.js';
import { elementSpans, scanJson } from '../json/scan.js';
import type { ApiContext } from './context.js';
import { bodyMember } from './json-body.js';
import { publishBatchRoute } from './operations.js';
import type { apiPublisher } from './publish.js';
import type { PublishBatchBody } from './schemas.js';

type Item = Static<typeof PublishBatchBody>['publications'][number];

/** An item's `idempotency_key` shares `POST /api/publish`'s key space: a retry may go either way. */
const ITEM_SCOPE = '/api/publish';

export type BatchItem = Item;

export function registerPublishBatchRoute(app: FastifyInstance, ctx: ApiContext, publish: ReturnType<typeof apiPublisher>, batchKey: (req: FastifyRequest) => string | undefined): void {
  const maxDepth = ctx.config.limits.max_json_depth;
  const publishAll = batchPublisher(ctx, publish);

  app.post<{ Body: Static<typeof PublishBatchBody> }>('/api/publish/batch', { schema: publishBatchRoute }, (req) =>
    ctx.idempotency.run(batchKey(req), req.url, () => publishAll(req.body.publications, itemData(bodyMember(req, 'publications'), maxDepth))),
  );
}

/** Publishes a validated batch's items (api/fast-publish shares it). */
export function batchPublisher(ctx: ApiContext, publish: ReturnType<typeof apiPublisher>) {
  return async function publishAll(items: Item[], data: RawJson[]): Promise<PublishBatchResponse> {
    // Items to one channel publish one after another, so their offsets follow the request's order
    // on every engine; different channels go concurrently.
    const tails = new Map<string, Promise<unknown>>();
    const results = items.map((item, i) => {
      const run = async () => ctx.idempotency.run(item.idempotency_key, ITEM_SCOPE, (once) => publish(item.channel, item.event, data[i]!, { key: item.key, once }));
      const before = tails.get(item.channel);
      const result = before ? before.then(run) : run();
      tails.set(item.channel, result.catch(() => {}));
      return result.catch((err: unknown) => {
        if (!(err instanceof HeraldError)) throw err;
        return { channel: item.channel, error: err.toBody() };
      });
    });
    return { results: await Promise.all(results) };
  };
}

/** Each item's `data` as the publisher's own text, in order, from the text of the (validated) `publications` list. */
export function itemData(list: string, maxDepth: number): RawJson[] {
  return elementSpans(list, { start: 0, end: list.length, spaced: false }).map((span) => {
    const text = list.slice(span.start, span.end);
    return rawMember(text, scanJson(text, maxDepth), 'data');
  });
}
