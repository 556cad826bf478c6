/**
 * @module errors
 * Every error Herald reports to a client: a stable code (from @herald/protocol), a message and
 * the HTTP status it maps to. WebSocket replies and HTTP bodies carry the same codes.
 */
import { ErrorCode, type ErrorBody } from '@herald/protocol';

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_json: 400,
  bad_request: 400,
  unknown_type: 400,
  invalid_channel: 400,
  unknown_channel: 404,
  already_subscribed: 409,
  not_subscribed: 409,
  too_many_subscriptions: 429,
  channel_full: 429,
  transport_not_allowed: 403,
  forbidden: 403,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  shutting_down: 503,
  slow_consumer: 503,
  internal: 500,
};

export class HeraldError extends Error {
  override name = 'HeraldError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Finer cause, e.g. why credentials were refused (docs/security.md lists them). */
    readonly reason?: string,
  ) {
    super(message);
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.reason === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, reason: this.reason };
  }
}
