/**
 * @module transports/query
 * Reading the query parameters of the HTTP transports (SSE, long-poll): repeated ones as lists,
 * single ones refused when repeated, and the channels a request names.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';

/** The `channel` query parameters (`?channel=a&channel=b`), at least one. */
export function queryChannels(query: unknown): string[] {
  const channels = queryList(query, 'channel');
  if (channels.length === 0) throw new HeraldError(ErrorCode.BadRequest, 'name at least one channel: ?channel=a&channel=b');
  return channels;
}

/** A query parameter that may be repeated (`?presence=a&presence=b`): every value, in order; none is []. */
export function queryList(query: unknown, name: string): string[] {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

/** A query parameter that may appear at most once. */
export function queryParam(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) throw new HeraldError(ErrorCode.BadRequest, `${name} may be given only once`);
  return value === undefined ? undefined : String(value);
}
