/**
 * @module transports/message
 * The one JSON shape of a publication on every transport (WebSocket frame, SSE `data:` line,
 * long-poll batch entry), so clients see identical messages whatever they connect with.
 */
import type { MessageFrame } from '@herald/protocol';
import type { Publication } from '../broker/broker.js';

export function messageJson(p: Publication): string {
  const frame: MessageFrame =
    p.event === undefined
      ? { type: 'message', channel: p.channel, offset: p.offset, epoch: p.epoch, data: p.data }
      : { type: 'message', channel: p.channel, offset: p.offset, epoch: p.epoch, event: p.event, data: p.data };
  if (p.info !== undefined) frame.info = p.info;
  return JSON.stringify(frame);
}
