/**
 * @module api/health
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: send traffic here; not
 * while shutting down, nor while the engine is unreachable or its pub/sub stopped delivering, nor while
 * a publish source marked `required` is down). Every source's state is listed.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { livenessRoute, readinessRoute } from './operations.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/healthz', { schema: livenessRoute }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readinessRoute }, async (_req, reply) => {
    if (!ctx.accepting()) return reply.status(503).send({ status: 'shutting_down' });
    const engine = ctx.engine();
    const sources = ctx.sources();
    // Sources are listed only when configured, so a node without any answers as before.
    const listed = Object.keys(sources.states).length > 0 ? { sources: sources.states } : {};
    if (!engine.ready) return reply.status(503).send({ status: 'unavailable', engine: ctx.broker.name, reason: engine.reason, ...listed });
    if (sources.down) return reply.status(503).send({ status: 'unavailable', engine: ctx.broker.name, reason: sources.down, ...listed });
    return { status: 'ready', engine: ctx.broker.name, connections: ctx.stats().connections, ...listed };
  });
}
