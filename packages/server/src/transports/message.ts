/**
 * @module transports/message
 * The one JSON shape of a publication on every transport (WebSocket frame, SSE `data:` line,
 * long-poll batch entry), so clients see identical messages whatever they connect with; likewise
 * a presence join/leave on the transports that carry them (WebSocket, SSE).
 */
import type { PresenceEventFrame } from '@herald/protocol';
import type { ChannelEvent, Publication } from '../broker/broker.js';

/** Built around the publisher's raw `data` text (json/raw): no value is serialised for it. */
export function messageJson(p: Publication): string {
  let json = `{"type":"message","channel":${JSON.stringify(p.channel)},"offset":${p.offset},"epoch":${JSON.stringify(p.epoch)},`;
  if (p.event !== undefined) json += `"event":${JSON.stringify(p.event)},`;
  json += `"data":${p.data}`;
  if (p.info !== undefined) json += `,"info":${JSON.stringify(p.info)}`;
  return `${json}}`;
}

export function presenceEventFrame(event: ChannelEvent): PresenceEventFrame {
  return { type: event.type, channel: event.channel, info: event.info };
}
