/**
 * @module connection/parse
 * Turns one inbound text frame into a command or a precise error. Everything a client sends is
 * untrusted: shapes are checked here so handlers can rely on them.
 */
import { ErrorCode, type DeltaFormat, type StreamPosition } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import { rawMember, type RawJson } from '../json/raw.js';
import { JsonTooDeep, scanJson, type JsonScan } from '../json/scan.js';

export type Command =
  | { id?: number; type: 'subscribe'; channel: unknown; since?: StreamPosition; token?: string; presence?: boolean; delta?: DeltaFormat }
  | { id?: number; type: 'presence'; channel: unknown }
  | { id?: number; type: 'unsubscribe'; channel: unknown }
  | { id?: number; type: 'publish'; channel: unknown; event?: string; key?: string; data: RawJson }
  | { id?: number; type: 'ping' }
  | { id?: number; type: 'auth'; token: string }
  | { id?: number; type: 'rpc'; method: string; data?: RawJson }
  | { id?: number; type: 'presence_update'; channel: unknown; info: Record<string, unknown> };

/** The fields each command may carry: anything else is refused, as HTTP bodies refuse it. */
const FIELDS: Record<string, readonly string[]> = {
  subscribe: ['id', 'type', 'channel', 'since', 'token', 'presence', 'delta'],
  unsubscribe: ['id', 'type', 'channel'],
  publish: ['id', 'type', 'channel', 'event', 'key', 'data'],
  ping: ['id', 'type'],
  auth: ['id', 'type', 'token'],
  presence: ['id', 'type', 'channel'],
  rpc: ['id', 'type', 'method', 'data'],
  presence_update: ['id', 'type', 'channel', 'info'],
};
const TYPES = Object.keys(FIELDS);
const SINCE_FIELDS = ['offset', 'epoch'];
export const MAX_EVENT_LENGTH = 128;
const MAX_TOKEN_LENGTH = 8192;
export const MAX_METHOD_LENGTH = 128;

/** A parse failure, carrying the id when the frame had a usable one so the error can be a reply. */
export class CommandError extends HeraldError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly id?: number,
  ) {
    super(code, message);
  }
}

/** `maxDepth`: `limits.max_json_depth`, checked before the frame is parsed. */
export function parseCommand(text: string, maxDepth: number): Command {
  let scan: JsonScan;
  try {
    scan = scanJson(text, maxDepth);
  } catch (err) {
    if (!(err instanceof JsonTooDeep)) throw err;
    throw new CommandError(err.code, err.message, shallowId(text, err.scan));
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new CommandError(ErrorCode.BadJson, 'frame is not valid JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    throw new CommandError(ErrorCode.BadRequest, 'frame must be a JSON object');
  }
  const f = frame as Record<string, unknown>;
  if (f.id !== undefined && !(Number.isSafeInteger(f.id) && (f.id as number) >= 0)) {
    throw new CommandError(ErrorCode.BadRequest, 'id must be a non-negative integer');
  }
  const id = f.id as number | undefined;
  const fail = (code: ErrorCode, message: string): never => {
    throw new CommandError(code, message, id);
  };
  if (typeof f.type !== 'string' || !TYPES.includes(f.type)) {
    // Only a string is quoted back: serialising any other value (e.g. nested thousands deep) could throw.
    const given = typeof f.type === 'string' ? JSON.stringify(f.type) : f.type === undefined ? 'undefined' : `of type ${Array.isArray(f.type) ? 'array' : typeof f.type}`;
    fail(ErrorCode.UnknownType, `unknown type ${given}; expected one of ${TYPES.join(', ')}`);
  }
  const allowed = FIELDS[f.type as string]!;
  const unknown = Object.keys(f).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(ErrorCode.BadRequest, `unknown field ${JSON.stringify(unknown)} in ${String(f.type)}; allowed: ${allowed.join(', ')}`);
  if (f.type !== 'ping' && f.type !== 'auth' && f.type !== 'rpc' && f.channel === undefined) fail(ErrorCode.BadRequest, `${String(f.type)} needs a channel`);
  switch (f.type) {
    case 'subscribe': {
      const command: Command & { type: 'subscribe' } = { id, type: 'subscribe', channel: f.channel };
      if (f.token !== undefined) command.token = parseToken(f.token);
      if (f.presence !== undefined) {
        if (typeof f.presence !== 'boolean') fail(ErrorCode.BadRequest, 'presence must be a boolean');
        command.presence = f.presence as boolean;
      }
      if (f.delta !== undefined) {
        if (f.delta !== 'fossil') fail(ErrorCode.BadRequest, 'delta must be "fossil" (the only delta format)');
        command.delta = 'fossil';
      }
      if (f.since === undefined) return command;
      const s = f.since as Record<string, unknown> | null;
      if (
        typeof s !== 'object' ||
        s === null ||
        !Number.isSafeInteger(s.offset) ||
        (s.offset as number) < 0 ||
        typeof s.epoch !== 'string' ||
        Object.keys(s).some((key) => !SINCE_FIELDS.includes(key))
      ) {
        fail(ErrorCode.BadRequest, 'since must be {"offset": <non-negative integer>, "epoch": <string>}');
      }
      command.since = { offset: s!.offset as number, epoch: s!.epoch as string };
      return command;
    }
    case 'auth':
      return { id, type: 'auth', token: parseToken(f.token) };
    case 'unsubscribe':
      return { id, type: 'unsubscribe', channel: f.channel };
    case 'presence':
      return { id, type: 'presence', channel: f.channel };
    case 'rpc': {
      if (typeof f.method !== 'string' || f.method.length === 0 || f.method.length > MAX_METHOD_LENGTH) fail(ErrorCode.BadRequest, `method must be a string of 1 to ${MAX_METHOD_LENGTH} characters`);
      const method = f.method as string;
      return 'data' in f ? { id, type: 'rpc', method, data: rawMember(text, scan, 'data') } : { id, type: 'rpc', method };
    }
    case 'presence_update': {
      const info = f.info;
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(ErrorCode.BadRequest, 'presence_update needs info: a JSON object');
      return { id, type: 'presence_update', channel: f.channel, info: info as Record<string, unknown> };
    }
    case 'publish': {
      if (!('data' in f)) fail(ErrorCode.BadRequest, 'publish needs data');
      const command: Command & { type: 'publish' } = { id, type: 'publish', channel: f.channel, data: rawMember(text, scan, 'data') };
      const event = parseEvent(f.event);
      if (event !== undefined) command.event = event;
      if (f.key !== undefined) {
        if (typeof f.key !== 'string' || f.key.length === 0 || f.key.length > MAX_EVENT_LENGTH) fail(ErrorCode.BadRequest, `key must be a string of 1 to ${MAX_EVENT_LENGTH} characters`);
        command.key = f.key as string;
      }
      return command;
    }
    default:
      return { id, type: 'ping' };
  }

  function parseToken(token: unknown): string {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      fail(ErrorCode.BadRequest, `token must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
    }
    return token as string;
  }

  function parseEvent(event: unknown): string | undefined {
    if (event === undefined) return undefined;
    if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_LENGTH) {
      fail(ErrorCode.BadRequest, `event must be a string of 1 to ${MAX_EVENT_LENGTH} characters`);
    }
    return event as string;
  }
}

/** The frame's `id` when it is a plain non-negative integer, read from the scan without parsing the frame. */
function shallowId(text: string, scan: JsonScan): number | undefined {
  const span = scan.members?.get('id');
  const id = span && !span.spaced ? text.slice(span.start, span.end) : '';
  return /^(0|[1-9][0-9]{0,14})$/.test(id) ? Number(id) : undefined;
}
