/**
 * @module test/pusher
 * Pusher apps on a test server, and the unmodified `pusher-js` (client) and `pusher` (server SDK)
 * npm packages pointed at it. Signatures come from the server SDK, as an app backend's would.
 */
import Pusher from 'pusher';
import PusherJsModule from 'pusher-js';
import type * as PusherJsTypes from 'pusher-js';
import { randomBytes } from 'node:crypto';
import { waitUntil } from './helpers.js';

// pusher-js is CommonJS: Node's default import is its class, which its ESM-style typings call `default`.
// Under NodeNext, `default` of a CommonJS module's typings is the whole module: the class is `default.default`.
const PusherJs = PusherJsModule as unknown as typeof PusherJsTypes.default.default;
export type PusherJs = InstanceType<typeof PusherJsTypes.default.default>;
type Channel = PusherJsTypes.Channel;

export interface TestApp {
  id: string;
  key: string;
  secret: string;
}

export function newApp(): TestApp {
  const tag = randomBytes(4).toString('hex');
  return { id: String(100000 + Math.floor(Math.random() * 900000)), key: `key-${tag}`, secret: `secret-${tag}-${randomBytes(6).toString('hex')}` };
}

/** The server SDK of `app`, calling the node at `url`. */
export function serverSdk(app: TestApp, url: string, encryptionMasterKeyBase64?: string): Pusher {
  const { hostname, port } = new URL(url);
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: hostname, port, useTLS: false, ...(encryptionMasterKeyBase64 ? { encryptionMasterKeyBase64 } : {}) });
}

export interface ClientOptions {
  /** A user for presence channels (channel_data) and sign-in. */
  user?: { id: string; info?: Record<string, unknown> };
  /** More pusher-js options (e.g. `pongTimeout`). */
  extra?: Record<string, unknown>;
  /** pusher-js transports to allow (default `ws`); the HTTP fallbacks go to the same host and port. */
  transports?: Array<'ws' | 'xhr_streaming' | 'xhr_polling'>;
}

/** pusher-js options pointing at the node at `url`: WebSocket and HTTP fallbacks on its host and port, no TLS. Plain data, so a browser page can take it as JSON. */
export function pusherHostOptions(url: string) {
  const { hostname, port } = new URL(url);
  return { cluster: 'mt1', wsHost: hostname, wsPort: Number(port), httpHost: hostname, httpPort: Number(port), forceTLS: false };
}

/** pusher-js in Node, on the `ws` transport only (or `options.transports`), authorizing through the server SDK (as a backend would). */
export function pusherClient(app: TestApp, url: string, sdk: Pusher, options: ClientOptions = {}): PusherJs {
  const user = options.user;
  return new PusherJs(app.key, {
    ...pusherHostOptions(url),
    enabledTransports: options.transports ?? ['ws'],
    ...options.extra,
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        const data = channelName.startsWith('presence-') && user ? { user_id: user.id, user_info: user.info ?? {} } : undefined;
        callback(null, sdk.authorizeChannel(socketId, channelName, data));
      },
    },
    userAuthentication: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId }, callback) => {
        if (!user) return callback(new Error('no user'), null);
        callback(null, sdk.authenticateUser(socketId, { id: user.id, ...(user.info ?? {}) }));
      },
    },
  });
}

export async function connected(client: PusherJs, timeoutMs = 5000): Promise<string> {
  await waitUntil(() => client.connection.state === 'connected' || undefined, timeoutMs, () => `pusher-js connected (state ${client.connection.state})`);
  return client.connection.socket_id;
}

/** Subscribe and resolve once pusher-js says it succeeded; reject with the subscription error. */
export function subscribed(client: PusherJs, name: string, timeoutMs = 5000): Promise<Channel> {
  const channel = client.subscribe(name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscribing to ${name} timed out`)), timeoutMs);
    channel.bind('pusher:subscription_succeeded', () => {
      clearTimeout(timer);
      resolve(channel);
    });
    channel.bind('pusher:subscription_error', (err: unknown) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription to ${name} refused: ${JSON.stringify(err)}`), { detail: err }));
    });
  });
}

/** Everything `channel` receives for `event`. */
export function record<T = unknown>(channel: Channel, event: string): T[] {
  const got: T[] = [];
  channel.bind(event, (data: T) => got.push(data));
  return got;
}

export function disconnectAll(clients: PusherJs[]): void {
  for (const c of clients) c.disconnect();
}
