/**
 * @module transports/message
 * The one JSON shape of a publication on every transport (WebSocket frame, SSE `data:` line,
 * long-poll batch entry), so clients see identical messages whatever they connect with; likewise
 * a presence join/leave on the transports that carry them (WebSocket, SSE).
 */
import type { MessageFrame, PresenceEventFrame } from '@herald/protocol';
import type { ChannelEvent, Publication } from '../broker/broker.js';

export function messageJson(p: Publication): string {
  const frame: MessageFrame =
    p.event === undefined
      ? { type: 'message', channel: p.channel, offset: p.offset, epoch: p.epoch, data: p.data }
      : { type: 'message', channel: p.channel, offset: p.offset, epoch: p.epoch, event: p.event, data: p.data };
  if (p.info !== undefined) frame.info = p.info;
  return JSON.stringify(frame);
}

export function presenceEventFrame(event: ChannelEvent): PresenceEventFrame {
  return { type: event.type, channel: event.channel, info: event.info };
}
