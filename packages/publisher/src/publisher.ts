/**
 * @module publisher
 * Publish from a backend with one call. Every request is signed (or carries the API key); a
 * request that fails on the network or with a retryable status is retried with backoff under
 * the same Idempotency-Key, so a retry never publishes twice. Anything else surfaces as a
 * typed PublishError.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  formatSignatureHeader,
  SIGNATURE_HEADER,
  stringToSign,
  type BlockState,
  type BroadcastResponse,
  type ChannelConnectionsResponse,
  type DisconnectResponse,
  type ErrorBody,
  type HistoryResponse,
  type PublishBatchResponse,
  type PublishResponse,
  type RevokeTokenResponse,
  type RevokeUserResponse,
  type SubscribeUserResponse,
  type UnblockResponse,
  type UnsubscribeUserResponse,
  type UserConnectionsResponse,
} from '@herald/protocol';

export interface PublisherOptions {
  /** Base URL of a Herald node or load balancer, e.g. `https://rt.internal:8080`. */
  url: string;
  /** Signing secret (recommended): requests carry X-Herald-Signature. */
  secret?: string;
  /** Key id of `secret` in the server's `auth.signing_keys` (default `default`). */
  keyId?: string;
  /** API key instead of signing. */
  apiKey?: string;
  /** Attempts after the first one for retryable failures (default 3). */
  retries?: number;
  /** Backoff bounds between attempts, in ms (default 100 … 2000, full jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
}

export class PublishError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when no answer came (network error, timeout). */
    readonly status: number,
    /** Herald's error code (`unauthorized`, `invalid_channel`, …) or `network`. */
    readonly code: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

const RETRYABLE = new Set([500, 502, 503, 504]);

export class Publisher {
  readonly #base: string;

  constructor(readonly options: PublisherOptions) {
    if (!options.secret && !options.apiKey) throw new Error('Publisher needs a secret (signed requests) or an apiKey');
    this.#base = options.url.replace(/\/+$/, '');
  }

  /** `key`: a conflation key (docs/protocol.md#conflation). */
  publish(channel: string, data: unknown, options: { event?: string; key?: string; idempotencyKey?: string } = {}): Promise<PublishResponse> {
    const body = messageBody({ channel }, data, options);
    return this.#send('POST', '/api/publish', body, options.idempotencyKey ?? randomUUID()) as Promise<PublishResponse>;
  }

  broadcast(channels: string[], data: unknown, options: { event?: string; key?: string; idempotencyKey?: string } = {}): Promise<BroadcastResponse> {
    const body = messageBody({ channels }, data, options);
    return this.#send('POST', '/api/broadcast', body, options.idempotencyKey ?? randomUUID()) as Promise<BroadcastResponse>;
  }

  /**
   * Many publications in one request (`POST /api/publish/batch`, at most 1 000): one result per
   * item, in order, each a position or that item's error. A retry of the whole batch reuses one
   * Idempotency-Key; an item's own `idempotencyKey` makes that item publish once across requests.
   */
  publishBatch(publications: Array<{ channel: string; data: unknown; event?: string; key?: string; idempotencyKey?: string }>, options: { idempotencyKey?: string } = {}): Promise<PublishBatchResponse> {
    const items = publications.map(({ channel, data, event, key, idempotencyKey }) => ({
      channel,
      ...(event === undefined ? {} : { event }),
      ...(key === undefined ? {} : { key }),
      data,
      ...(idempotencyKey === undefined ? {} : { idempotency_key: idempotencyKey }),
    }));
    return this.#send('POST', '/api/publish/batch', { publications: items }, options.idempotencyKey ?? randomUUID()) as Promise<PublishBatchResponse>;
  }

  history(channel: string, options: { since?: { offset: number; epoch: string }; limit?: number } = {}): Promise<HistoryResponse> {
    const query = new URLSearchParams();
    if (options.since) {
      query.set('since', String(options.since.offset));
      query.set('epoch', options.since.epoch);
    }
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const qs = query.size > 0 ? `?${query}` : '';
    return this.#send('GET', `/api/channels/${encodeURIComponent(channel)}/history${qs}`) as Promise<HistoryResponse>;
  }

  channels(): Promise<{ channels: Array<{ channel: string; subscribers: number }> }> {
    return this.#send('GET', '/api/channels') as Promise<{ channels: Array<{ channel: string; subscribers: number }> }>;
  }

  // ---- control API (docs/api.md#control-api): acts on every node ----------------------------

  /** Close a user's connections on every node, or only `client`; `reconnect: false` (or a 4500-4999 `code`) tells clients not to come back. */
  disconnectUser(user: string, options: { client?: string; code?: number; reason?: string; reconnect?: boolean } = {}): Promise<DisconnectResponse> {
    return this.#user('POST', user, 'disconnect', options) as Promise<DisconnectResponse>;
  }

  /** Subscribe a user's live WebSocket connections (or only `client`) to `channel`, server-side. */
  subscribeUser(user: string, channel: string, options: { client?: string } = {}): Promise<SubscribeUserResponse> {
    return this.#user('POST', user, 'subscribe', { channel, ...options }) as Promise<SubscribeUserResponse>;
  }

  unsubscribeUser(user: string, channel: string, options: { client?: string } = {}): Promise<UnsubscribeUserResponse> {
    return this.#user('POST', user, 'unsubscribe', { channel, ...options }) as Promise<UnsubscribeUserResponse>;
  }

  userConnections(user: string): Promise<UserConnectionsResponse> {
    return this.#user('GET', user, 'connections') as Promise<UserConnectionsResponse>;
  }

  /** One page of the connections subscribed to `channel`, on every node. */
  channelConnections(channel: string, options: { limit?: number; cursor?: string } = {}): Promise<ChannelConnectionsResponse> {
    const query = new URLSearchParams({ channel });
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.#send('GET', `/api/connections?${query}`) as Promise<ChannelConnectionsResponse>;
  }

  /** Revoke one token by its `jti`; `expiresAt` (Unix seconds) is best the token's `exp`. */
  revokeToken(jti: string, options: { expiresAt?: number } = {}): Promise<RevokeTokenResponse> {
    return this.#send('POST', '/api/tokens/revoke', { jti, ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }) }) as Promise<RevokeTokenResponse>;
  }

  /** Revoke a user's tokens issued before `issuedBefore` (Unix seconds, default now). */
  revokeUserTokens(user: string, options: { issuedBefore?: number; expiresAt?: number } = {}): Promise<RevokeUserResponse> {
    const body = { ...(options.issuedBefore === undefined ? {} : { issued_before: options.issuedBefore }), ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }) };
    return this.#user('POST', user, 'revoke', body) as Promise<RevokeUserResponse>;
  }

  blockUser(user: string, options: { reason?: string; expiresAt?: number } = {}): Promise<BlockState> {
    const body = { ...(options.reason === undefined ? {} : { reason: options.reason }), ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }) };
    return this.#user('POST', user, 'block', body) as Promise<BlockState>;
  }

  unblockUser(user: string): Promise<UnblockResponse> {
    return this.#user('POST', user, 'unblock', {}) as Promise<UnblockResponse>;
  }

  userBlock(user: string): Promise<BlockState> {
    return this.#user('GET', user, 'block') as Promise<BlockState>;
  }

  #user(method: 'GET' | 'POST', user: string, action: string, body?: unknown): Promise<unknown> {
    return this.#send(method, `/api/users/${encodeURIComponent(user)}/${action}`, body);
  }

  async #send(method: 'GET' | 'POST', target: string, body?: unknown, idempotencyKey?: string): Promise<unknown> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const retries = this.options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(method, target, payload, idempotencyKey);
      } catch (err) {
        const retryable = err instanceof PublishError && (err.status === 0 || RETRYABLE.has(err.status));
        if (!retryable || attempt >= retries) throw err;
        const bound = Math.min(this.options.maxDelayMs ?? 2000, (this.options.minDelayMs ?? 100) * 2 ** attempt);
        await new Promise((r) => setTimeout(r, Math.random() * bound));
      }
    }
  }

  async #attempt(method: string, target: string, payload: string, idempotencyKey: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (payload) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    if (this.options.secret) headers[SIGNATURE_HEADER] = this.#sign(method, target, payload);
    else headers.authorization = `Bearer ${this.options.apiKey}`;
    let res: Response;
    try {
      res = await fetch(this.#base + target, {
        method,
        headers,
        body: payload || undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new PublishError(`request to ${this.#base}${target} failed: ${(err as Error).message}`, 0, 'network');
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PublishError(`Herald answered ${res.status} with a body that is not JSON`, res.status, 'bad_response');
    }
    if (res.ok) return json;
    const error = (json as { error?: ErrorBody }).error;
    throw new PublishError(error?.message ?? `HTTP ${res.status}`, res.status, error?.code ?? 'http_error', error?.reason);
  }

  #sign(method: string, target: string, payload: string): string {
    const timestamp = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const bodyHash = createHash('sha256').update(payload).digest('hex');
    const sig = createHmac('sha256', this.options.secret!).update(stringToSign(method, target, timestamp, nonce, bodyHash)).digest('base64url');
    return formatSignatureHeader(this.options.keyId ?? 'default', timestamp, nonce, sig);
  }
}

/** A publish or broadcast body: the target, then `event` and `key` when given, then `data`. */
function messageBody(target: Record<string, unknown>, data: unknown, options: { event?: string; key?: string }): Record<string, unknown> {
  const body = { ...target };
  if (options.event !== undefined) body.event = options.event;
  if (options.key !== undefined) body.key = options.key;
  body.data = data;
  return body;
}
