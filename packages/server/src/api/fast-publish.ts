/**
 * @module api/fast-publish
 * `POST /api/publish` and `POST /api/publish/batch` in their plain shape, answered ahead of
 * Fastify's router: the commonest requests a backend sends (issue 18's publish path), without the
 * router, request and reply objects, hook runners and a child logger per publish.
 *
 * Whether a request takes this path is decided from its request line and headers alone, before a
 * byte of its body is read: exactly one of those paths, `Content-Type: application/json`, a
 * `Content-Length` within `limits.max_body_bytes`, no `Transfer-Encoding`, and the node accepting.
 * Anything else (CORS configured, `trust_proxy` configured, another content type, chunked or
 * oversized bodies, …) goes to Fastify untouched, which answers it as before.
 *
 * A request taken here goes through the same functions and in the same order as the route: the
 * one JSON body parser's checks (UTF-8, depth scan, Fastify's own JSON parser), the publisher
 * authenticator, the route's body schema (validated with the same Ajv options, worded as Fastify
 * words it), the idempotency cache and `apiPublisher`; errors leave through `toHeraldError` with
 * the same status, body, `WWW-Authenticate` and security headers, and a 5xx is logged and counted
 * as the error handler does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '@herald/protocol';
import type { FastifyBodyParser } from 'fastify';
import type { Logger } from 'pino';
import { HeraldError } from '../errors.js';
import { rawMember } from '../json/raw.js';
import type { ApiContext } from './context.js';
import { checkJsonBody } from './json-body.js';
import { toHeraldError } from './error-handler.js';
import { idempotencyKey, type apiPublisher } from './publish.js';
import { batchPublisher, itemData, type BatchItem } from './publish-batch.js';
import { PublishBatchBody, PublishBody } from './schemas.js';
import { compileBodyValidator, validationMessage } from './validation.js';

const PUBLISH = '/api/publish';
const BATCH = '/api/publish/batch';

/** The headers every answer of the HTTP API carries (server.ts adds them to Fastify's answers). */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

export interface FastPublishOptions {
  ctx: ApiContext;
  publish: ReturnType<typeof apiPublisher>;
  /** Fastify's JSON parser, the one api/json-body hands the text to. */
  parseJson: FastifyBodyParser<string>;
  maxBodyBytes: number;
  maxJsonDepth: number;
  log: Logger;
  /** Told every 5xx answer, as the error handler's `onServerError`. */
  onServerError?: (message: string) => void;
}

/**
 * Returns a function that answers `req` and returns true when it is a plain publish, and returns
 * false (having touched nothing) otherwise.
 */
export function fastPublisher(options: FastPublishOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { ctx, publish, parseJson, maxBodyBytes, maxJsonDepth, log, onServerError } = options;
  const validatePublish = compileBodyValidator(PublishBody);
  const validateBatch = compileBodyValidator(PublishBatchBody);
  const publishAll = batchPublisher(ctx, publish);

  function plain(req: IncomingMessage): boolean {
    if (req.method !== 'POST' || (req.url !== PUBLISH && req.url !== BATCH)) return false;
    const headers = req.headers;
    if (headers['content-type'] !== 'application/json' || headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    if (length === undefined) return false;
    const bytes = Number(length);
    return Number.isInteger(bytes) && bytes > 0 && bytes <= maxBodyBytes && ctx.accepting();
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const error = toHeraldError(err as Error);
    if (error.status >= 500) {
      if (error.code !== ErrorCode.Unavailable) log.error({ err }, 'request failed');
      onServerError?.(`${req.method} ${req.url}: ${error.status} ${error.code}: ${error.message}`);
    }
    if (error.code === ErrorCode.Unauthorized) res.setHeader('www-authenticate', 'Bearer');
    answer(res, error.status, JSON.stringify({ error: error.toBody() }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: string, bytes: Buffer): Promise<void> {
    try {
      const { text, scan } = checkJsonBody(bytes, maxJsonDepth);
      let body: unknown;
      let parseError: Error | null = null;
      parseJson(req as never, text, (err, value) => {
        parseError = err;
        body = value;
      });
      if (parseError) throw parseError;
      const later = ctx.authenticate({ method: 'POST', url, headers: req.headers, body: bytes, ip: req.socket.remoteAddress ?? '' });
      if (later) await later;
      const validate = url === PUBLISH ? validatePublish : validateBatch;
      if (!validate(body)) throw new HeraldError(ErrorCode.BadRequest, validationMessage(validate, 'body'));
      const retryKey = idempotencyKey(req.headers);
      let result: unknown;
      if (url === PUBLISH) {
        const { channel, event, key } = body as { channel: string; event?: string; key?: string };
        result = await ctx.idempotency.run(retryKey, url, (once) => publish(channel, event, rawMember(text, scan, 'data'), { key, once }));
      } else {
        const items = (body as { publications: BatchItem[] }).publications;
        result = await ctx.idempotency.run(retryKey, url, () => publishAll(items, itemData(rawMember(text, scan, 'publications'), maxJsonDepth)));
      }
      answer(res, 200, JSON.stringify(result));
    } catch (err) {
      fail(req, res, err);
    }
  }

  return function fastPublish(req, res) {
    if (!plain(req)) return false;
    const url = req.url!;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void handle(req, res, url, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    return true;
  };
}

/** The answer's headers as Fastify's route sends them, as one flat list (cheaper for writeHead than an object); the length goes last. */
const HEADERS = ['content-type', 'application/json; charset=utf-8', ...Object.entries(SECURITY_HEADERS).flat(), 'cache-control', 'no-store', 'content-length'];

function answer(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, [...HEADERS, String(Buffer.byteLength(json))]);
  res.end(json);
}
