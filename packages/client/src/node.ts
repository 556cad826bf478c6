/**
 * @module @herald/client/node
 * Node entry: the same API, with the `ws` package as WebSocket (Node 20 has no global one).
 */
import { WebSocket } from 'ws';
import { connect as connectWith, type HeraldClient } from './client.js';
import type { ClientOptions, WebSocketConstructor } from './options.js';

export * from './index.js';

export function connect(url: string, options: ClientOptions = {}): HeraldClient {
  return connectWith(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, ...options });
}
