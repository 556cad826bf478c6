/**
 * @module api/health
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: send traffic here).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (!ctx.accepting()) return reply.status(503).send({ status: 'shutting_down' });
    return { status: 'ready', engine: ctx.broker.name, connections: ctx.stats().connections };
  });
}
