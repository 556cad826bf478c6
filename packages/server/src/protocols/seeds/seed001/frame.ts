/**
 * @module protocols/seeds/seed001/frame
 * Seed 001's message shape, `{id, channelId, clientId, payload, createdAt}`, on WebSocket (one
 * text frame each) and SSE (`data: <json>` events). `payload` is a string: a publication whose
 * data is a JSON string carries it as is, any other data as its JSON text.
 */
import { createHash } from 'node:crypto';
import type { StreamPosition } from '@herald/protocol';
import type { Publication } from '../../../broker/broker.js';
import type { Encoder } from '../../../hub/subscriber.js';
import { textFrame } from '../../../transports/websocket-frame.js';

/** Sender of publications no client made (the seed's server messages). */
export const SERVER_MESSAGE = 'server-message';

/**
 * A UUID (version 4 layout) derived from the publication's position, so every node (and the
 * `POST …/messages` answer) names one message alike.
 */
export function messageId(channel: string, position: StreamPosition): string {
  const hex = createHash('sha256').update(`${channel}\u0000${position.epoch}\u0000${position.offset}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function messageJson(p: Publication, channelId: string): string {
  const payload = p.data.startsWith('"') ? p.data : JSON.stringify(p.data);
  return `{"id":"${messageId(p.channel, p)}","channelId":${JSON.stringify(channelId)},"clientId":${JSON.stringify(p.info?.user ?? SERVER_MESSAGE)},"payload":${payload},"createdAt":"${new Date().toISOString()}"}`;
}

/** The WebSocket and SSE encoders; `idOf` turns the Herald channel back into the seed's id. */
export function seed001Encoders(idOf: (channel: string) => string): { ws: Encoder; sse: Encoder } {
  return {
    ws: { message: (p) => textFrame(messageJson(p, idOf(p.channel))) },
    sse: { message: (p) => Buffer.from(`data: ${messageJson(p, idOf(p.channel))}\n\n`) },
  };
}
