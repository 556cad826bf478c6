/**
 * @module protocols/pusher/webhooks
 * Each app's webhooks in Pusher's format: `POST {time_ms, events:[…]}` with `X-Pusher-Key` and
 * `X-Pusher-Signature` (hex HMAC-SHA256 of the body with the app secret), on Herald's webhook
 * receivers (ordered queue, retries with back-off). The transitions come from the same places
 * as Herald's own webhooks (channel occupancy and presence, each announced by one node of the
 * cluster), routed to the app whose namespace holds the channel, so apps never see each other's.
 *
 * `channel_vacated` and `member_removed` wait `webhook_delay_ms`: when the channel is occupied
 * again (or the member is back) on this node meanwhile, neither event of the pair is sent, so a
 * page reload does not notify the backend twice. One that came back through another node is
 * found when the delay ends (the cluster's state is read again), and the departure is dropped.
 */
import type { Logger } from 'pino';
import type { RawJson } from '../../json/raw.js';
import { WebhookReceiver } from '../../webhooks/webhooks.js';
import { channelKind, pusherChannel, type PusherApp, type PusherApps } from './apps.js';
import { hmacHex } from './signature.js';

/** The cluster's view, read when a delayed departure falls due. */
export interface ClusterState {
  occupied(heraldChannel: string): Promise<boolean>;
  present(heraldChannel: string, user: string): Promise<boolean>;
}

type PusherEventName = 'channel_occupied' | 'channel_vacated' | 'member_added' | 'member_removed' | 'client_event' | 'cache_miss';
type PusherEvent = { name: PusherEventName; channel: string } & Record<string, unknown>;

/** Pusher retries a failing receiver for about five minutes: 0.5 s doubling to 30 s, 14 attempts. */
const DELIVERY = { timeout_ms: 5000, max_attempts: 14, retry_base_ms: 500, retry_max_ms: 30_000, queue_size: 10_000 };

class AppWebhooks {
  readonly #receivers: Array<{ receiver: WebhookReceiver; events: ReadonlySet<string> }>;
  /** Delayed vacated/removed events by channel (+ user), cancelled when the pair's other half comes. */
  readonly #delayed = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly app: PusherApp,
    log: Logger,
  ) {
    const headers = (body: string) => ({ 'x-pusher-key': app.key, 'x-pusher-signature': hmacHex(app.secret, body) });
    this.#receivers = app.webhooks.map((w) => ({ receiver: new WebhookReceiver({ url: w.url, ...DELIVERY }, log, headers), events: new Set(w.events) }));
  }

  /** Send now, unless it completes a delayed event of `key` (both are then dropped). */
  arrive(key: string, event: PusherEvent): void {
    const pending = this.#delayed.get(key);
    if (pending) {
      clearTimeout(pending);
      this.#delayed.delete(key);
      return;
    }
    this.send(event);
  }

  /** Send after the delay, if `gone()` (the cluster's state then) still says so. */
  depart(key: string, event: PusherEvent, gone: () => Promise<boolean>): void {
    clearTimeout(this.#delayed.get(key));
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      // Unreadable state: send it; a departure lost is worse than one sent for a client that came back.
      void gone().catch(() => true).then((still) => still && this.send(event));
    }, this.app.webhook_delay_ms).unref();
    this.#delayed.set(key, timer);
  }

  send(event: PusherEvent): void {
    let body: string | undefined;
    for (const { receiver, events } of this.#receivers) {
      if (!events.has(event.name)) continue;
      body ??= JSON.stringify({ time_ms: Date.now(), events: [event] });
      receiver.push(body);
    }
  }

  close(): void {
    for (const timer of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const { receiver } of this.#receivers) receiver.close();
  }
}

export class PusherWebhooks {
  readonly #apps = new Map<string, AppWebhooks>();

  constructor(
    readonly apps: PusherApps,
    readonly state: ClusterState,
    log: Logger,
  ) {
    for (const app of apps.all()) if (app.webhooks.length > 0) this.#apps.set(app.id, new AppWebhooks(app, log));
  }

  /** The app and Pusher channel of a Herald channel, when an app with webhooks owns it (user channels have none). */
  #route(heraldChannel: string): { hooks: AppWebhooks; channel: string } | undefined {
    const app = this.apps.ofChannel(heraldChannel);
    const hooks = app && this.#apps.get(app.id);
    const channel = pusherChannel(heraldChannel);
    return hooks && channelKind(channel) !== 'user' ? { hooks, channel } : undefined;
  }

  /** A channel got its first subscriber in the cluster, or lost its last one (told on one node). */
  occupancy(heraldChannel: string, occupied: boolean): void {
    const route = this.#route(heraldChannel);
    if (!route) return;
    const { hooks, channel } = route;
    if (occupied) hooks.arrive(`c\u0000${channel}`, { name: 'channel_occupied', channel });
    else hooks.depart(`c\u0000${channel}`, { name: 'channel_vacated', channel }, async () => !(await this.state.occupied(heraldChannel)));
  }

  /** A user's first connection joined a presence channel, or its last one left (told on one node). */
  presence(type: 'join' | 'leave', heraldChannel: string, user: string): void {
    const route = this.#route(heraldChannel);
    if (!route || channelKind(route.channel) !== 'presence') return;
    const { hooks, channel } = route;
    const key = `m\u0000${channel}\u0000${user}`;
    if (type === 'join') hooks.arrive(key, { name: 'member_added', channel, user_id: user });
    else hooks.depart(key, { name: 'member_removed', channel, user_id: user }, async () => !(await this.state.present(heraldChannel, user)));
  }

  clientEvent(app: PusherApp, channel: string, event: string, data: RawJson, socketId: string, userId?: string): void {
    const hooks = this.#apps.get(app.id);
    if (!hooks) return;
    // `data` as the client sent it: a string stays that string, anything else is its JSON text.
    const text = data.startsWith('"') ? (JSON.parse(data) as string) : data;
    const body: PusherEvent = { name: 'client_event', channel, event, data: text, socket_id: socketId };
    if (userId !== undefined) body.user_id = userId;
    hooks.send(body);
  }

  /** A subscriber of a cache channel found nothing cached. */
  cacheMiss(app: PusherApp, channel: string): void {
    this.#apps.get(app.id)?.send({ name: 'cache_miss', channel });
  }

  close(): void {
    for (const hooks of this.#apps.values()) hooks.close();
  }
}
