/**
 * @module server-subscriptions
 * Subscriptions the server made for this client (token `channels` claim, connect hook, personal
 * channel, control API): kept by channel across reconnects, each resumed from its position
 * through the `since` of the next connect (docs/protocol.md#server-side-subscriptions).
 */
import type { StreamPosition, SubscribedFrame } from '@herald/protocol';
import { Subscription } from './subscription.js';

export class ServerSubscriptions {
  readonly byChannel = new Map<string, Subscription>();

  constructor(
    /** A channel the server subscribed this client to for the first time. */
    private readonly onNew: (sub: Subscription) => void,
    /** The application unsubscribed one: tell the server (when connected). */
    private readonly unsubscribe: (channel: string) => void,
  ) {}

  get(channel: string): Subscription | undefined {
    return this.byChannel.get(channel);
  }

  /** A server-side subscription started (first connect) or resumed (reconnect). */
  subscribed(frame: SubscribedFrame): void {
    if (!frame.server) return;
    let sub = this.byChannel.get(frame.channel);
    if (!sub) {
      sub = new Subscription(frame.channel, undefined, (s) => this.#release(s));
      this.byChannel.set(frame.channel, sub);
      this.onNew(sub);
    }
    const { type: _type, channel: _channel, server: _server, ...result } = frame;
    sub.subscribed(result);
  }

  /** The server ended or refused one: it is not renewed on reconnect. Returns it, if there was one. */
  take(channel: string): Subscription | undefined {
    const sub = this.byChannel.get(channel);
    this.byChannel.delete(channel);
    return sub;
  }

  /** The `since` of a (re)connect: the positions of the server-side subscriptions, as JSON; none: undefined. */
  since(): string | undefined {
    const since: Record<string, StreamPosition> = {};
    for (const sub of this.byChannel.values()) {
      const position = sub.beginSubscribe();
      if (position) since[sub.channel] = position;
    }
    return Object.keys(since).length > 0 ? JSON.stringify(since) : undefined;
  }

  #release(sub: Subscription): void {
    if (this.byChannel.get(sub.channel) !== sub) return;
    this.byChannel.delete(sub.channel);
    this.unsubscribe(sub.channel);
  }
}
