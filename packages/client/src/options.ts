/**
 * @module options
 * What an application passes to `connect` and `subscribe`, and the errors and events it gets back.
 */
import type { BackoffOptions } from './backoff.js';
import type { Subscription } from './subscription.js';

export type TransportName = 'websocket' | 'sse' | 'longpoll';

/** The part of the WebSocket API the client uses: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** A fixed token (JWT). */
  token?: string;
  /** Called for a token before connecting and whenever the server says it expired. */
  getToken?: () => Promise<string>;
  backoff?: Partial<BackoffOptions>;
  /** WebSocket implementation; defaults to the global one (browsers, Node 22+). */
  WebSocket?: WebSocketConstructor;
  /** How long a command waits for its reply. */
  requestTimeoutMs?: number;
  /**
   * Transports to try, in order (default websocket, sse, longpoll). The client moves to the next
   * when one is refused (e.g. a namespace that forbids it) or fails twice in a row before
   * connecting, and comes back round after the last.
   */
  transports?: TransportName[];
  /** HTTP base for SSE/long-poll; default: the WebSocket URL with http(s) and without `/ws`. */
  httpUrl?: string;
}

export interface SubscribeOptions {
  /** Subscription token for a private channel, fetched on every (re)subscribe. */
  getToken?: () => Promise<string>;
  /** Presence namespaces: keep `sub.members` and get join/leave events. */
  presence?: boolean;
  /**
   * Delta compression (WebSocket and SSE; long-poll gets full messages): the server may send a
   * publication as a delta against the previous one, applied and verified here; the application
   * sees whole messages either way.
   */
  delta?: boolean;
}

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export class HeraldError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'HeraldError';
  }
}

export type ClientEvents = {
  state: [ClientState];
  connecting: [];
  /** `user`: who the server authenticated (absent when anonymous); `data`: what the connect hook sent along. */
  connected: [{ client: string; node: string; transport: TransportName; user?: string; data?: unknown }];
  /**
   * The server subscribed this connection to a channel (token `channels` claim, connect hook,
   * personal channel): a Subscription like any other, kept across reconnects (docs/client.md).
   */
  'server-subscription': [Subscription];
  disconnected: [{ code: number; reason: string; willReconnect: boolean }];
  reconnecting: [{ attempt: number; delayMs: number }];
  error: [Error];
};
