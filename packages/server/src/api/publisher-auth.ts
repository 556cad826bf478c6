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
  // A callback hook, not an async one: most requests are accepted at once, without a promise.
  scope.addHook('preValidation', (req, _reply, done) => {
    let later: Promise<void> | undefined;
    try {
      later = authenticate({ method: req.method, url: req.url, headers: req.headers, body: rawBody(req), ip: req.ip });
    } catch (err) {
      done(err as Error);
      return;
    }
    if (later === undefined) done();
    else later.then(() => done(), done);
  });
}
