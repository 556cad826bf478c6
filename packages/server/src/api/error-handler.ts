/**
 * @module api/error-handler
 * Every HTTP error leaves as `{"error":{"code","message"}}` with the status of its code,
 * including the ones Fastify raises itself (bad JSON, body too large, wrong content type).
 */
import { ErrorCode } from '@herald/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.BadRequest,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.BadJson,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.BadJson,
};

const FASTIFY_MESSAGES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.BadJson]: 'request body is not valid JSON',
  [ErrorCode.UnsupportedMediaType]: 'send the request body as Content-Type: application/json',
};

export function toHeraldError(err: FastifyError | Error): HeraldError {
  if (err instanceof HeraldError) return err;
  const e = err as FastifyError;
  if (e.validation) return new HeraldError(ErrorCode.BadRequest, e.message);
  const code = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (code) return new HeraldError(code, FASTIFY_MESSAGES[code] ?? e.message);
  if (err instanceof SyntaxError && e.statusCode === 400) return new HeraldError(ErrorCode.BadJson, 'request body is not valid JSON');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new HeraldError(ErrorCode.BadRequest, e.message);
  return new HeraldError(ErrorCode.Internal, 'internal error');
}

/**
 * Fastify answers a few URL errors before any route or error handler runs (a `%`-escape that is
 * not UTF-8, a path parameter over `maxParamLength`): in Herald's shape too.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is not valid (a %-escape that is not UTF-8?)';
  void reply.status(400).send({ error: new HeraldError(ErrorCode.BadRequest, message).toBody() });
}

/** `onServerError` is told every 5xx answer (the admin page's recent errors). */
export function registerErrorHandling(app: FastifyInstance, onServerError?: (message: string) => void): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const error = toHeraldError(err);
    if (error.status >= 500) {
      // An engine outage is reported once by the engine monitor, not once per refused request.
      if (error.code !== ErrorCode.Unavailable) req.log.error({ err }, 'request failed');
      onServerError?.(`${req.method} ${req.url.split('?')[0]}: ${error.status} ${error.code}: ${error.message}`);
    }
    if (error.code === ErrorCode.Unauthorized) reply.header('www-authenticate', 'Bearer');
    return reply.status(error.status).send({ error: error.toBody() });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: ErrorCode.NotFound, message: `no route for ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
