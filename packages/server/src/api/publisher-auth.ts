/**
 * @module api/publisher-auth
 * Plugs publisher authentication into the API routes. Signed requests cover the exact body
 * bytes, so the JSON parser keeps them (Fastify's own parser still does the parsing, with its
 * prototype-poisoning protection).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PublisherAuthenticator } from '../auth/publisher.js';

const rawBodies = new WeakMap<FastifyRequest, Buffer>();
const EMPTY = Buffer.alloc(0);

export function keepRawJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    rawBodies.set(req, body as Buffer);
    parseJson(req, (body as Buffer).toString('utf8'), done);
  });
}

/** Authenticate every route of `scope` after its body is read and before it is validated. */
export function requirePublisher(scope: FastifyInstance, authenticate: PublisherAuthenticator): void {
  scope.addHook('preValidation', async (req) =>
    authenticate({ method: req.method, url: req.url, headers: req.headers, body: rawBodies.get(req) ?? EMPTY, ip: req.ip }),
  );
}
