/**
 * @module connection/server-subscriptions
 * Subscriptions the server makes or ends for a live connection, without the client asking: the
 * channels of its token's `channels` claim or of the connect hook's answer, its user's personal
 * channel (`server_subscriptions.personal_namespace`), and the control API's subscribe/unsubscribe.
 * `subscribeServerSide` is the one way to do it for a live WebSocket connection, for any caller:
 * connect time, a first `auth` frame, the control API (control/control.ts). An SSE stream takes
 * its server-side channels when it starts (transports/sse.ts).
 *
 * Whoever named the channels is trusted (a verified token, the backend, the operator): no
 * permission check and no subscribe hook, but the channel must exist and fit the connection's
 * limits. The client is told with a `subscribed` frame (`server: true`) before the channel's
 * first message, or an `unsubscribed` frame with the cause. Recovery across reconnects: the
 * client sends the positions it holds (`since`, see parseServerSince) when it connects again.
 */
import { ErrorCode, type StreamPosition } from '@herald/protocol';
import type { ClientIdentity } from '../auth/access.js';
import { HeraldError } from '../errors.js';
import type { Connection } from './connection.js';

/** The channels the server subscribes a connection with this identity to at connect. */
export function serverChannels(identity: ClientIdentity, personalNamespace: string): string[] {
  const channels = [...(identity.channels ?? [])];
  if (personalNamespace && identity.user !== '') channels.push(personalChannel(personalNamespace, identity.user));
  return [...new Set(channels)];
}

/** `<namespace>:#<user>`: a channel limited to that user (auth/access.ts channelUsers). */
export function personalChannel(namespace: string, user: string): string {
  return `${namespace}:#${user}`;
}

/** What became of one channel of a server-side subscribe. */
export interface ServerSubscribeOutcome {
  channel: string;
  /** True once the subscription is live (its `subscribed` frame is queued). */
  subscribed: boolean;
  /** Why not, when the channel was refused (the client got an `unsubscribed` frame with it as `cause`). */
  error?: HeraldError;
}

/**
 * Subscribe `connection` to each channel, server-side; `since` holds the positions the client
 * already has (recovery). Never rejects: each refused channel is an `unsubscribed` frame with its
 * cause. A channel the connection is already subscribed to is left as it is, without a frame.
 */
export async function subscribeServerSide(connection: Connection, channels: readonly string[], since: ReadonlyMap<string, StreamPosition> = new Map()): Promise<ServerSubscribeOutcome[]> {
  if (connection.transport.name !== 'websocket') {
    // An SSE stream's event id has a fixed list of channels (transports/sse.ts adds its server-side
    // ones when it starts): a live stream cannot take more. Not an error of whoever asked.
    const cause = new HeraldError(ErrorCode.TransportNotAllowed, `a live ${connection.transport.name} stream cannot be subscribed to more channels`).toBody();
    for (const channel of channels) connection.sendFrame({ type: 'unsubscribed', channel, cause });
    return channels.map((channel) => ({ channel, subscribed: false }));
  }
  return Promise.all(
    channels.map(async (channel): Promise<ServerSubscribeOutcome> => {
      try {
        await connection.subscribe(channel, since.get(channel), (result) => connection.sendFrame({ type: 'subscribed', channel, ...result, server: true }), { server: true });
        return { channel, subscribed: !connection.closed };
      } catch (err) {
        if (connection.closed || (err instanceof HeraldError && err.code === ErrorCode.AlreadySubscribed)) return { channel, subscribed: false };
        const error = err instanceof HeraldError ? err : new HeraldError(ErrorCode.Internal, 'internal error');
        if (!(err instanceof HeraldError)) connection.ctx.log.error({ err, client: connection.id, channel }, 'server-side subscribe failed');
        connection.sendFrame({ type: 'unsubscribed', channel, cause: error.toBody() });
        return { channel, subscribed: false, error };
      }
    }),
  );
}

/** End `connection`'s subscription to `channel` (control API), with an `unsubscribed` frame; false if it had none. */
export function unsubscribeServerSide(connection: Connection, channel: string): boolean {
  if (!connection.drop(channel)) return false;
  connection.sendFrame({ type: 'unsubscribed', channel });
  return true;
}

/**
 * Channels of a reconnect's `since` that the server does not subscribe again (one the control API
 * added lasts for its connection only): each gets an `unsubscribed` frame, so the client stops
 * waiting for it.
 */
export function endStaleServerChannels(connection: Connection, channels: readonly string[], since: ReadonlyMap<string, StreamPosition>): void {
  for (const channel of since.keys()) if (!channels.includes(channel)) connection.sendFrame({ type: 'unsubscribed', channel });
}

const MAX_SINCE_CHANNELS = 256;

/**
 * The `since` query parameter of a WebSocket connect: a JSON object mapping server-side channels
 * to the positions the client holds, e.g. `{"user:#42":{"offset":7,"epoch":"a1"}}`. Throws
 * `bad_request` on anything else.
 */
export function parseServerSince(value: string | null | undefined): Map<string, StreamPosition> {
  const out = new Map<string, StreamPosition>();
  if (!value) return out;
  const bad = () => new HeraldError(ErrorCode.BadRequest, 'since must be a JSON object {"<channel>": {"offset": <integer>, "epoch": "<epoch>"}, ...}');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad();
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > MAX_SINCE_CHANNELS) throw new HeraldError(ErrorCode.BadRequest, `since names more than ${MAX_SINCE_CHANNELS} channels`);
  for (const [channel, position] of entries) {
    const p = position as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || !Number.isSafeInteger(p.offset) || (p.offset as number) < 0 || typeof p.epoch !== 'string') throw bad();
    out.set(channel, { offset: p.offset as number, epoch: p.epoch });
  }
  return out;
}
