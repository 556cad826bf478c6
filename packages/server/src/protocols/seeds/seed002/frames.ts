/**
 * @module protocols/seeds/seed002/frames
 * Seed 002's server frames: `broadcast` from a channel's publications, `presence_leave` from
 * Herald's presence leave events (a member removed, disconnected or expired with its node) and
 * `presence_join` from native clients' join events (without metadata), and
 * `presence_join` / `presence_update`, which carry member metadata Herald's presence events do
 * not: those travel as publications of a companion channel `<namespace>-presence:<channel>`
 * whose data is the whole frame (so native clients can read them there too).
 */
import type { ChannelEvent, Publication } from '../../../broker/broker.js';
import type { Encoder } from '../../../hub/subscriber.js';
import { textFrame } from '../../../transports/websocket-frame.js';

const NOTHING = Buffer.alloc(0);

/** Id prefix of seed 002 connections, so every node tells their presence events from native ones. */
export const SEED002_CLIENT = 's2';

/** How seed channel names map onto Herald channels. */
export class Seed002Names {
  constructor(readonly namespace: string) {}

  get presenceNamespace(): string {
    return `${this.namespace}-presence`;
  }

  channel(seedName: string): string {
    return `${this.namespace}:${seedName}`;
  }

  presenceChannel(seedName: string): string {
    return `${this.presenceNamespace}:${seedName}`;
  }

  /** The seed's name of either Herald channel. */
  seedName(channel: string): string {
    return channel.slice(channel.indexOf(':') + 1);
  }

  isPresence(channel: string): boolean {
    return channel.startsWith(`${this.presenceNamespace}:`);
  }
}

export interface PresenceFrame {
  type: 'presence_join' | 'presence_update';
  channel: string;
  user_id: string;
  meta?: Record<string, unknown>;
  updated_at: number;
  ts: number;
}

export function seed002Encoder(names: Seed002Names): Encoder {
  return {
    message(p: Publication): Buffer {
      if (names.isPresence(p.channel)) return textFrame(p.data);
      // /api/event without an event was the seed's "message"; a client's broadcast without one, "".
      let json = `{"type":"broadcast","channel":${JSON.stringify(names.seedName(p.channel))},"event":${JSON.stringify(p.event ?? 'message')},"payload":${p.data}`;
      if (p.info) json += `,"user_id":${JSON.stringify(p.info.user)}`;
      return textFrame(`${json},"ts":${Date.now()}}`);
    },
    event(e: ChannelEvent): Buffer {
      const channel = names.seedName(e.channel);
      if (e.type === 'leave') return textFrame(JSON.stringify({ type: 'presence_leave', channel, user_id: e.info.user, ts: Date.now() }));
      // A seed 002 member's join comes with its metadata through the companion channel; a native
      // client's (which has none) comes from here.
      if (e.info.client?.startsWith(`${SEED002_CLIENT}_`)) return NOTHING;
      return textFrame(JSON.stringify({ type: 'presence_join', channel, user_id: e.info.user, ts: Date.now() }));
    },
  };
}
