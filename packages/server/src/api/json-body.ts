/**
 * @module api/json-body
 * The one parser of JSON request bodies. In order: the bytes must be UTF-8 (never silently
 * replaced with U+FFFD), the text must nest no deeper than `limits.max_json_depth` (checked by a
 * scan before anything parses it), then Fastify's own parser does the parsing, with its
 * prototype-poisoning protection. The exact bytes (signed requests cover them) and the scan
 * (where `data` lies in the text, json/raw) are kept for the routes.
 */
import { ErrorCode } from '@herald/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.js';
import { rawMember, rawRoot, type RawJson } from '../json/raw.js';
import { scanJson, type JsonScan } from '../json/scan.js';

interface JsonBody {
  bytes: Buffer;
  text: string;
  scan: JsonScan;
}

/** The request's property holding its JsonBody (a decoration, so every request keeps one shape; cheaper than a WeakMap per publish). */
const BODY = 'heraldJsonBody';
type WithBody = FastifyRequest & { [BODY]: JsonBody | null };
const EMPTY = Buffer.alloc(0);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function registerJsonBodies(app: FastifyInstance, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest(BODY, null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    let checked: CheckedJson;
    try {
      checked = checkJsonBody(bytes, maxDepth);
    } catch (err) {
      done(err as HeraldError, undefined);
      return;
    }
    (req as WithBody)[BODY] = { bytes, ...checked };
    parseJson(req, checked.text, done);
  });
}

export type CheckedJson = Omit<JsonBody, 'bytes'>;

/** The first two steps, before parsing: UTF-8 (else `bad_json`) and depth (json/scan). Throws a HeraldError. */
export function checkJsonBody(bytes: Buffer, maxDepth: number): CheckedJson {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HeraldError(ErrorCode.BadJson, 'request body is not valid UTF-8');
  }
  return { text, scan: scanJson(text, maxDepth) };
}

/** The body's exact bytes (empty when the request had none). */
export function rawBody(req: FastifyRequest): Buffer {
  return (req as WithBody)[BODY]?.bytes ?? EMPTY;
}

/** The publisher's own text of a member of the (validated) JSON body, e.g. `data`. */
export function bodyMember(req: FastifyRequest, key: string): RawJson {
  const { text, scan } = parsed(req);
  return rawMember(text, scan, key);
}

/** The publisher's own text of the whole (validated) JSON body. */
export function bodyRoot(req: FastifyRequest): RawJson {
  const { text, scan } = parsed(req);
  return rawRoot(text, scan);
}

function parsed(req: FastifyRequest): JsonBody {
  const body = (req as WithBody)[BODY];
  if (!body) throw new HeraldError(ErrorCode.BadRequest, 'send the request body as Content-Type: application/json');
  return body;
}
