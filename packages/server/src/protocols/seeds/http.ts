/**
 * @module protocols/seeds/http
 * Small request helpers the seed adapters share.
 */
import type { IncomingMessage } from 'node:http';
import { HeraldError } from '../../errors.js';

/** The request's path and query parameters. */
export function splitUrl(req: Pick<IncomingMessage, 'url'>): { path: string; query: URLSearchParams } {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return { path: q === -1 ? url : url.slice(0, q), query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) };
}

/** The HTTP status of any failure (an unexpected one is a 500). */
export function statusOf(err: unknown): number {
  return err instanceof HeraldError ? err.status : 500;
}

/** The message of any failure, safe to show (an unexpected one is not described). */
export function messageOf(err: unknown): string {
  return err instanceof HeraldError ? err.message : 'internal error';
}
