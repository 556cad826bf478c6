/**
 * @module api/webhooks
 * Delivery counters of this node's webhook receivers, so operators can see drops and failures.
 */
import type { FastifyInstance } from 'fastify';
import type { Webhooks } from '../webhooks/webhooks.js';
import { webhooksRoute } from './operations.js';

export function registerWebhookRoutes(app: FastifyInstance, webhooks: Webhooks): void {
  app.get('/api/webhooks', { schema: webhooksRoute }, async () => ({
    // Only origin and path: a receiver URL may carry a credential in its query string.
    webhooks: webhooks.stats().map(({ url, ...counters }) => {
      const u = new URL(url);
      return { url: `${u.origin}${u.pathname}`, ...counters };
    }),
  }));
}
