/**
 * @module api/publisher-auth
 * Plugs publisher authentication into the API routes. Signed requests cover the exact body
 * bytes, which api/json-body keeps.
 */
import type { FastifyInstance } from 'fastify';
import type { PublisherAuthenticator } from '../auth/publisher.js';
import { rawBody } from './json-body.js';

/** Authenticate every route of `scope` after its body is read and before it is validated. */
export function requirePublisher(scope: FastifyInstance, authenticate: PublisherAuthenticator): void {
  scope.addHook('preValidation', async (req) =>
    authenticate({ method: req.method, url: req.url, headers: req.headers, body: rawBody(req), ip: req.ip }),
  );
}
