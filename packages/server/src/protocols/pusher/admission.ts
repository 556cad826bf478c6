/**
 * @module protocols/pusher/admission
 * Whether a new Pusher connection may be served, whatever transport carries it (the WebSocket,
 * or pusher-js's HTTP fallbacks): the app, the protocol version, the origin, and the node's and
 * the app's connection limits. The answer is Pusher's close code and message, because that is
 * what pusher-js acts on.
 */
import type { IncomingMessage } from 'node:http';
import { originAllowed } from '../../auth/client.js';
import type { PusherApp, PusherApps } from './apps.js';
import { PusherCode } from './codec.js';

export class Admission {
  /** Connections per app on this node, every Pusher transport together (its `max_connections`). */
  readonly #counts = new Map<string, number>();

  constructor(
    readonly apps: PusherApps,
    readonly limits: {
      /** Streaming connections open on this node, every protocol together (limits.max_connections). */
      connections(): number;
      maxConnections: number;
      accepting(): boolean;
    },
  ) {}

  /** The app of `key` and why it cannot be served now (undefined: it can). */
  check(key: string, req: IncomingMessage): { app?: PusherApp; refused?: [number, string] } {
    const app = this.apps.byKey(key);
    if (!app) return { refused: [PusherCode.AppNotFound, 'App key does not exist'] };
    return { app, refused: this.#refusal(app, req) };
  }

  #refusal(app: PusherApp, req: IncomingMessage): [number, string] | undefined {
    if (!app.enabled) return [PusherCode.AppDisabled, 'App is disabled'];
    const protocol = new URL(req.url ?? '/', 'http://x').searchParams.get('protocol');
    if (protocol === null) return [4008, 'No protocol version supplied'];
    if (!/^[5-7]$/.test(protocol)) return [4007, `Unsupported protocol version ${protocol}`];
    if (!originAllowed(req.headers.origin, app.allowed_origins)) return [PusherCode.Unauthorized, 'Origin not allowed for this app'];
    if (!this.limits.accepting()) return [PusherCode.Reconnect, 'Node is shutting down; reconnect'];
    if (this.limits.connections() >= this.limits.maxConnections) return [PusherCode.OverCapacity, 'Node is at its connection limit'];
    if (app.max_connections > 0 && this.count(app) >= app.max_connections) return [PusherCode.OverCapacity, 'App is over its connection quota'];
    return undefined;
  }

  count(app: PusherApp): number {
    return this.#counts.get(app.id) ?? 0;
  }

  /** Count a connection of `app` until the returned function is called (once). */
  opened(app: PusherApp): () => void {
    this.#counts.set(app.id, this.count(app) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#counts.set(app.id, this.count(app) - 1);
    };
  }
}
