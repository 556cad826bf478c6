/**
 * @module protocols/pusher/codec
 * Pusher protocol 7 frames: `{"event","channel"?,"data"?}` with `data` a JSON-encoded string
 * ("double encoding"). Outbound frames are built once per publication and wrapped by the
 * transport (`wrap`: a WebSocket text frame here; the HTTP fallbacks wrap the same JSON in their
 * own framing), so one encoding serves every Pusher subscriber of a transport.
 *
 * Data mapping, so both protocols share one channel (docs/pusher.md): a Herald publication's
 * `data` is JSON; Pusher subscribers get its text as the `data` string, which pusher-js parses
 * back into the same value. A Pusher trigger's `data` string is stored as the JSON it holds when
 * it is JSON, else as a JSON string, so Herald subscribers get a value either way.
 */
import type { ChannelEvent, Publication } from '../../broker/broker.js';
import type { Encoder } from '../../hub/subscriber.js';
import { toRawJson, trustedRawJson, type RawJson } from '../../json/raw.js';
import { JsonTooDeep, scanJson, spanText, type JsonScan } from '../../json/scan.js';
import { channelKind, pusherChannel } from './apps.js';

/** What a Herald publication without an event name is called on the Pusher side. */
export const DEFAULT_EVENT = 'message';

/** Pusher close codes and `pusher:error` codes (the ranges tell pusher-js whether to reconnect). */
export const PusherCode = {
  AppNotFound: 4001,
  AppDisabled: 4003,
  OverQuota: 4004,
  Unauthorized: 4009,
  OverCapacity: 4100,
  Reconnect: 4200,
  PongNotReceived: 4201,
  ClientEventRejected: 4301,
} as const;

export interface PusherEncoder extends Encoder {
  event(event: ChannelEvent): Buffer;
  /** A control frame; `data` is JSON-encoded into the string pusher-js expects. */
  frame(event: string, data?: unknown, channel?: string): Buffer;
  /** Frames of `member_added` events, with the connection that joined (it must not get its own). */
  readonly joinedBy: WeakMap<Buffer, string>;
}

/** The `data` string of a frame, from JSON text: a JSON string is the string itself, anything else its text. */
export function dataString(data: RawJson): string {
  return data.startsWith('"') ? data : JSON.stringify(data);
}

/** The `data` a Pusher trigger's string becomes in Herald: the JSON it holds, else the string. */
export function triggerData(data: string, maxDepth: number): RawJson {
  try {
    const scan = scanJson(data, maxDepth);
    JSON.parse(data);
    return trustedRawJson(spanText(data, scan.root));
  } catch (err) {
    if (err instanceof JsonTooDeep) throw err;
    return toRawJson(data);
  }
}

function messageJson(p: Publication): string {
  const channel = pusherChannel(p.channel);
  const event = p.event ?? DEFAULT_EVENT;
  let json = `{"event":${JSON.stringify(event)},"channel":${JSON.stringify(channel)},"data":${dataString(p.data)}`;
  // Only client events on presence channels say who sent them (the spec's "Channel Events").
  if (p.info?.user && event.startsWith('client-') && channelKind(channel) === 'presence') json += `,"user_id":${JSON.stringify(p.info.user)}`;
  return `${json}}`;
}

/** `user_info` of a presence member as carried in a channel event (protocols/pusher/presence.ts puts it there). */
function memberInfo(info: ChannelEvent['info']): unknown {
  return (info as { user_info?: unknown }).user_info;
}

function eventJson(e: ChannelEvent): string {
  const channel = pusherChannel(e.channel);
  const data = e.type === 'join' ? { user_id: e.info.user, user_info: memberInfo(e.info) } : { user_id: e.info.user };
  const event = e.type === 'join' ? 'pusher_internal:member_added' : 'pusher_internal:member_removed';
  return JSON.stringify({ event, channel, data: JSON.stringify(data) });
}

/** A frame that is not sent (PusherConnection.send drops it). */
export const NO_FRAME = Buffer.alloc(0);

export function controlJson(event: string, data?: unknown, channel?: string): string {
  const frame: { event: string; channel?: string; data?: string } = { event };
  if (channel !== undefined) frame.channel = channel;
  if (data !== undefined) frame.data = typeof data === 'string' ? data : JSON.stringify(data);
  return JSON.stringify(frame);
}

export function createPusherEncoder(wrap: (json: string) => Buffer): PusherEncoder {
  const joinedBy = new WeakMap<Buffer, string>();
  return {
    joinedBy,
    message: (p) => wrap(messageJson(p)),
    event(e) {
      // Pusher has no member-info change: a Herald client's presence update is not sent.
      if (e.type === 'update') return NO_FRAME;
      const frame = wrap(eventJson(e));
      if (e.type === 'join' && e.info.client) joinedBy.set(frame, e.info.client);
      return frame;
    },
    frame: (event, data, channel) => wrap(controlJson(event, data, channel)),
  };
}

/** One inbound frame, shape-checked; `data` of client events kept as the sender's JSON text. */
export interface InboundFrame {
  event: string;
  channel?: string;
  data: Record<string, unknown>;
  raw?: RawJson;
}

export class FrameError extends Error {}

export function parseFrame(text: string, maxDepth: number): InboundFrame {
  let scan: JsonScan;
  let frame: unknown;
  try {
    scan = scanJson(text, maxDepth);
    frame = JSON.parse(text);
  } catch {
    throw new FrameError('frame is not valid JSON (or nests too deep)');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw new FrameError('frame must be a JSON object');
  const { event, channel, data } = frame as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0 || event.length > 200) throw new FrameError('frame needs an "event" string of 1 to 200 characters');
  if (channel !== undefined && typeof channel !== 'string') throw new FrameError('"channel" must be a string');
  const span = scan.members?.get('data');
  const out: InboundFrame = { event, data: {} };
  if (channel !== undefined) out.channel = channel;
  if (span) out.raw = trustedRawJson(spanText(text, span));
  // pusher-js sends `data` as an object; some clients send it JSON-encoded, as the server does.
  let value: unknown = data;
  if (typeof data === 'string' && !event.startsWith('client-')) {
    try {
      value = JSON.parse(data);
    } catch {
      value = undefined;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.data = value as Record<string, unknown>;
  return out;
}
