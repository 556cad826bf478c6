/**
 * @module connection/server-subscriptions
 * Subscriptions the server makes or ends on a live connection's behalf (control API), each
 * announced to the client with a `subscribed` or `unsubscribed` frame.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import type { Connection } from './connection.js';

/**
 * Subscribe `connection` to `channel` (a canonical name). Resolves false when nothing changed: it
 * was subscribed already, or it is an SSE stream, whose event ids carry a fixed list of channels.
 * Rejects with a HeraldError when the channel checks refuse it.
 */
export async function subscribeByServer(connection: Connection, channel: string): Promise<boolean> {
  if (connection.transport.name !== 'websocket') return false;
  try {
    await connection.subscribeTrusted(channel, (result) => connection.sendFrame({ type: 'subscribed', channel, ...result }));
    return !connection.closed;
  } catch (err) {
    if (err instanceof HeraldError && err.code === ErrorCode.AlreadySubscribed) return false;
    throw err;
  }
}

/** End `connection`'s subscription to `channel`; false if it had none. */
export function unsubscribeByServer(connection: Connection, channel: string): boolean {
  if (!connection.drop(channel)) return false;
  connection.sendFrame({ type: 'unsubscribed', channel });
  return true;
}
