/**
 * @module connection/parse
 * Turns one inbound text frame into a command or a precise error. Everything a client sends is
 * untrusted: shapes are checked here so handlers can rely on them.
 */
import { ErrorCode, type StreamPosition } from '@herald/protocol';
import { HeraldError } from '../errors.js';

export type Command =
  | { id?: number; type: 'subscribe'; channel: unknown; since?: StreamPosition; token?: string; presence?: boolean }
  | { id?: number; type: 'presence'; channel: unknown }
  | { id?: number; type: 'unsubscribe'; channel: unknown }
  | { id?: number; type: 'publish'; channel: unknown; event?: string; data: unknown }
  | { id?: number; type: 'ping' }
  | { id?: number; type: 'auth'; token: string };

const TYPES = ['subscribe', 'unsubscribe', 'publish', 'ping', 'auth', 'presence'];
export const MAX_EVENT_LENGTH = 128;
const MAX_TOKEN_LENGTH = 8192;

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

export function parseCommand(text: string): Command {
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
  if (f.type !== 'ping' && f.type !== 'auth' && f.channel === undefined) fail(ErrorCode.BadRequest, `${String(f.type)} needs a channel`);
  switch (f.type) {
    case 'subscribe': {
      const command: Command & { type: 'subscribe' } = { id, type: 'subscribe', channel: f.channel };
      if (f.token !== undefined) command.token = parseToken(f.token);
      if (f.presence !== undefined) {
        if (typeof f.presence !== 'boolean') fail(ErrorCode.BadRequest, 'presence must be a boolean');
        command.presence = f.presence as boolean;
      }
      if (f.since === undefined) return command;
      const s = f.since as Record<string, unknown> | null;
      if (typeof s !== 'object' || s === null || !Number.isSafeInteger(s.offset) || (s.offset as number) < 0 || typeof s.epoch !== 'string') {
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
    case 'publish': {
      if (!('data' in f)) fail(ErrorCode.BadRequest, 'publish needs data');
      const event = parseEvent(f.event);
      return event === undefined ? { id, type: 'publish', channel: f.channel, data: f.data } : { id, type: 'publish', channel: f.channel, event, data: f.data };
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
