/**
 * @module metrics/counters
 * The node's running totals, as plain numbers. The hub and connections bump these fields
 * directly (a field increment, once per publication or per fan-out slice), so counting costs the
 * hot path nothing; the Prometheus registry (metrics/metrics) reads them only when scraped.
 */
export type AuthKind = 'publisher' | 'client' | 'admin';

/** Notable failures kept for the admin page, newest last. */
export interface RecentError {
  /** Unix milliseconds. */
  t: number;
  kind: string;
  message: string;
}

const RECENT_ERRORS = 50;

export class Counters {
  /** Publications accepted by the engine through this node (HTTP API and client publishes). */
  published = 0;
  /** Publication frames handed to a local subscriber's outbox (live fan-out and recovery). */
  delivered = 0;
  /** Writes of queued frames to WebSocket and SSE sockets: `delivered` over this is how many frames share a write (hub/pacing.ts). */
  subscriberWrites = 0;
  /** Of `delivered`, frames that carried a delta instead of the whole data (delta compression). */
  deltas = 0;
  /** Publications left out for a subscriber of a conflating namespace because a later one with the same key superseded them. */
  conflated = 0;
  /** Publication frames a local subscriber could not take (closed, over its buffer, batch full). */
  dropped = 0;
  /** Connections closed because they did not read fast enough (close code 4008). */
  slowConsumerCloses = 0;
  /** Publications and events that could not be encoded or delivered to some local subscribers, by stage (hub/jobs.ts). */
  readonly fanoutErrors = new Map<string, number>();
  /** Failed authentications by `kind` and reason code, keyed `kind reason`. */
  readonly authFailures = new Map<string, number>();
  /** The last few failures worth showing an operator (bounded ring). */
  readonly recentErrors: RecentError[] = [];

  authFailure(kind: AuthKind, reason: string): void {
    const key = `${kind} ${reason}`;
    this.authFailures.set(key, (this.authFailures.get(key) ?? 0) + 1);
    this.error('auth', `${kind} authentication refused: ${reason}`);
  }

  fanoutError(stage: string, message: string): void {
    this.fanoutErrors.set(stage, (this.fanoutErrors.get(stage) ?? 0) + 1);
    this.error('fanout', `${stage}: ${message}`);
  }

  slowConsumer(client: string): void {
    this.slowConsumerCloses++;
    this.error('slow_consumer', `${client} closed (4008): send buffer overflow`);
  }

  error(kind: string, message: string): void {
    if (this.recentErrors.push({ t: Date.now(), kind, message }) > RECENT_ERRORS) this.recentErrors.shift();
  }
}
