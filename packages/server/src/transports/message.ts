/**
 * @module transports/message
 * The one JSON shape of a publication on every transport (WebSocket frame, SSE `data:` line,
 * long-poll batch entry), so clients see identical messages whatever they connect with; likewise
 * a presence join/leave on the transports that carry them (WebSocket, SSE).
 */
import type { PresenceEventFrame } from '@herald/protocol';
import type { ChannelEvent, Publication } from '../broker/broker.js';
import type { MessageForm } from '../hub/subscriber.js';

/**
 * Built around the publisher's raw `data` text (json/raw): no value is serialised for it. `data`
 * is always the last member, so a client can take its exact text (the base of the next delta)
 * from the frame without a parser: everything before it is Herald's own, and `,"data":` cannot
 * occur inside a JSON string (its quote would be escaped).
 */
export function messageJson(p: Publication, form?: MessageForm): string {
  let json = `{"type":"message","channel":${JSON.stringify(p.channel)},"offset":${p.offset},"epoch":${JSON.stringify(p.epoch)}`;
  if (p.event !== undefined) json += `,"event":${JSON.stringify(p.event)}`;
  if (p.key !== undefined) json += `,"key":${JSON.stringify(p.key)}`;
  if (p.info !== undefined) json += `,"info":${JSON.stringify(p.info)}`;
  if (form?.skipped) json += `,"skipped":${form.skipped}`;
  return form?.delta === undefined ? `${json},"data":${p.data}}` : `${json},"delta":true,"data":${form.delta}}`;
}

export function presenceEventFrame(event: ChannelEvent): PresenceEventFrame {
  return { type: event.type, channel: event.channel, info: event.info };
}
