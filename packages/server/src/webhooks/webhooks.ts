/**
 * @module webhooks/webhooks
 * Signed HTTP notifications to backends (docs/webhooks.md). Emitting only appends to a bounded
 * per-receiver queue, so fan-out never waits for a receiver: each receiver has one sender that
 * posts events in order, retries failures with exponential backoff, and drops (counting) what
 * does not fit in its queue while it is down or slow.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/schema.js';
import type { RawJson } from '../json/raw.js';

export const WEBHOOK_EVENTS = ['channel.occupied', 'channel.vacated', 'presence.join', 'presence.leave', 'presence.update', 'client.publish'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEvent {
  type: WebhookEventType;
  channel: string;
  /** presence.*: the member; client.publish: the sender. */
  info?: { user: string; client?: string; info?: Record<string, unknown> };
  /** client.publish only. */
  event?: string;
  /** client.publish only: the publisher's own JSON text, spliced into the body as is (json/raw). */
  data?: RawJson;
  offset?: number;
  epoch?: string;
}

export const TIMESTAMP_HEADER = 'x-herald-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-herald-webhook-signature';

/** `sha256=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the webhook's secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookStats {
  delivered: number;
  /** Events given up on after the last retry. */
  failed: number;
  /** Events dropped because the receiver's queue was full. */
  dropped: number;
  queued: number;
}

interface Pending {
  body: string;
  attempts: number;
}

/**
 * How long to wait after failed attempt number `attempt` (1 = the first): `retry_base_ms`, doubled
 * per further attempt, plus up to half of it as jitter so a receiver coming back is not stampeded,
 * capped at `retry_max_ms`. Jitter only adds: no retry comes sooner than documented.
 */
export function retryDelay(attempt: number, config: Pick<WebhookConfig, 'retry_base_ms' | 'retry_max_ms'>, random = Math.random()): number {
  return Math.min(config.retry_max_ms, config.retry_base_ms * 2 ** (attempt - 1) * (1 + random / 2));
}

/** The headers of one POST of `body` (Herald's own signature by default; protocols/pusher signs its own way). */
export type WebhookHeaders = (body: string) => Record<string, string>;

/** Delivery settings of one receiver; `WebhookConfig` has them all. */
export type DeliveryConfig = Pick<WebhookConfig, 'url' | 'timeout_ms' | 'max_attempts' | 'retry_base_ms' | 'retry_max_ms' | 'queue_size'>;

/** One receiver's ordered queue and its sender, retrying with back-off. */
export class WebhookReceiver {
  readonly #queue: Pending[] = [];
  #sending = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };

  constructor(
    readonly config: DeliveryConfig,
    readonly log: Logger,
    readonly headers: WebhookHeaders,
  ) {}

  push(body: string): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.config.queue_size) {
      this.stats.dropped++;
      return;
    }
    this.#queue.push({ body, attempts: 0 });
    this.stats.queued = this.#queue.length;
    this.#pump();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  #pump(): void {
    if (this.#sending || this.#closed || this.#queue.length === 0) return;
    this.#sending = true;
    const item = this.#queue[0]!;
    void this.#post(item.body).then((ok) => {
      this.#sending = false;
      if (this.#closed) return;
      item.attempts++;
      if (ok || item.attempts >= this.config.max_attempts) {
        this.#queue.shift();
        this.stats.queued = this.#queue.length;
        if (ok) this.stats.delivered++;
        else {
          this.stats.failed++;
          this.log.warn({ url: this.config.url, attempts: item.attempts }, 'webhook event given up');
        }
        this.#pump();
        return;
      }
      this.#timer = setTimeout(() => this.#pump(), retryDelay(item.attempts, this.config)).unref();
    });
  }

  async #post(body: string): Promise<boolean> {
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        // Exactly `application/json`: Pusher's SDKs refuse a webhook with any parameter after it.
        headers: { 'content-type': 'application/json', ...this.headers(body) },
        body,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.config.timeout_ms)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok;
    } catch (err) {
      if (!this.#closed) this.log.debug({ err, url: this.config.url }, 'webhook post failed');
      return false;
    }
  }
}

function webhookBody({ data, ...event }: WebhookEvent): string {
  const json = JSON.stringify({ id: `wh_${randomBytes(9).toString('base64url')}`, time: Date.now(), ...event });
  return data === undefined ? json : `${json.slice(0, -1)},"data":${data}}`;
}

function heraldHeaders(secret: string): WebhookHeaders {
  return (body) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return { [TIMESTAMP_HEADER]: timestamp, [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, timestamp, body) };
  };
}

export class Webhooks {
  readonly #receivers: Array<{ receiver: WebhookReceiver; events: ReadonlySet<string> }>;

  constructor(configs: readonly WebhookConfig[], log: Logger) {
    this.#receivers = configs.map((c) => ({ receiver: new WebhookReceiver(c, log, heraldHeaders(c.secret)), events: new Set(c.events) }));
  }

  get enabled(): boolean {
    return this.#receivers.length > 0;
  }

  /** Queue an event for every receiver that wants it. Never blocks, never throws. */
  emit(event: WebhookEvent): void {
    let body: string | undefined;
    for (const { receiver, events } of this.#receivers) {
      if (!events.has(event.type)) continue;
      body ??= webhookBody(event);
      receiver.push(body);
    }
  }

  stats(): Array<{ url: string } & WebhookStats> {
    return this.#receivers.map(({ receiver: r }) => ({ url: r.config.url, ...r.stats }));
  }

  close(): void {
    for (const { receiver } of this.#receivers) receiver.close();
  }
}
