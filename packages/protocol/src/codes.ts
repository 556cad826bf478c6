/**
 * @module codes
 * The stable error-code and close-code tables. Clients branch on these, so a code never changes
 * meaning once released; docs/protocol.md ("Error codes", "Close codes") lists the same tables for humans.
 */

/** Error codes used both in WebSocket replies and in HTTP error bodies. */
export const ErrorCode = {
  BadJson: 'bad_json',
  BadRequest: 'bad_request',
  UnknownType: 'unknown_type',
  InvalidChannel: 'invalid_channel',
  UnknownChannel: 'unknown_channel',
  AlreadySubscribed: 'already_subscribed',
  NotSubscribed: 'not_subscribed',
  TooManySubscriptions: 'too_many_subscriptions',
  ChannelFull: 'channel_full',
  TransportNotAllowed: 'transport_not_allowed',
  Forbidden: 'forbidden',
  Unauthorized: 'unauthorized',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  RateLimited: 'rate_limited',
  Unavailable: 'unavailable',
  ShuttingDown: 'shutting_down',
  /** SSE only: the stream fell behind and was cut (WebSocket closes with 4008 instead). */
  SlowConsumer: 'slow_consumer',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes. 1xxx are RFC 6455 codes used with their standard meaning; 4xxx are
 * Herald's. `reconnect` tells an SDK whether reconnecting (with backoff) can help.
 */
export const CloseCode = {
  /** Normal closure, e.g. the client asked. */
  Normal: 1000,
  /** A binary frame: Herald speaks JSON text frames only. */
  UnsupportedData: 1003,
  /** A text frame that is not valid UTF-8 (closed by the WebSocket layer). */
  InvalidPayload: 1007,
  /** A frame above `limits.max_frame_bytes` (closed by the WebSocket layer). */
  MessageTooBig: 1009,
  /** Unexpected server error. */
  InternalError: 1011,
  /** The node is shutting down or restarting: reconnect (another node or this one when back). */
  ServiceRestart: 1012,
  /** The node is at `limits.max_connections`: reconnect later, with backoff. */
  TryAgainLater: 1013,
  /** Credentials missing or invalid: get a new token before reconnecting. */
  Unauthorized: 4001,
  /** The connect hook refused the connection (an `error` frame with the backend's code comes first). */
  Forbidden: 4003,
  /** The token expired and no fresh one came within the grace period: refresh, then reconnect. */
  TokenExpired: 4004,
  /** The client fell behind: its send buffer overflowed. Reconnect and recover from history. */
  SlowConsumer: 4008,
  /** No pong/traffic within the heartbeat timeout (only seen if the peer is still half there). */
  HeartbeatTimeout: 4009,
  /**
   * The client sent frames faster than `limits.client_messages_per_second` allows, or a refused
   * token (`auth` frame, subscription token) left its address over `auth.failure_limit_per_minute`.
   */
  RateLimited: 4029,
  /**
   * The backend disconnected this client through the control API and allows it back: reconnect
   * (with backoff). A backend may pick any code in 4100-4499 with this meaning.
   */
  ServerReconnect: 4100,
  /**
   * The backend disconnected this client through the control API and does not want it back: do
   * not reconnect. A backend may pick any code in 4500-4999 with this meaning.
   */
  ServerDisconnect: 4500,
  /** The user is blocked (control API): do not reconnect; connecting again is refused until unblocked. */
  UserBlocked: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether a client should reconnect after the given close code. After 4004 it should fetch a
 * fresh token first; after 4001 only with new credentials.
 */
export function shouldReconnect(code: number): boolean {
  switch (code) {
    case CloseCode.Normal:
    case CloseCode.UnsupportedData:
    case CloseCode.InvalidPayload:
    case CloseCode.MessageTooBig:
    case CloseCode.Unauthorized:
    case CloseCode.Forbidden:
      return false;
    default:
      // 4500-4999: a backend's own "do not come back" codes (control API disconnect, blocks).
      return !(code >= 4500 && code <= 4999);
  }
}
