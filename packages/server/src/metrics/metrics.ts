/**
 * @module metrics/metrics
 * Herald's Prometheus registry (its own, never prom-client's global one, so two nodes in one
 * process — the tests — do not share series) and the `GET /metrics` route.
 *
 * Nothing here runs on the hot path: totals are plain numbers in metrics/counters, and gauges
 * (connections, subscriptions, channels) are read from their owners when Prometheus scrapes.
 * The one per-publication cost is the fan-out latency observation, made once per publication.
 */
import { ErrorCode } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { apiKeyMatcher } from '../auth/api-key.js';
import { HeraldError } from '../errors.js';
import type { HookStats } from '../hooks/client.js';
import type { Hub } from '../hub/hub.js';

export interface MetricsSources {
  hub: Hub;
  /** Open connections by transport (long-poll: requests being held; pusher: Pusher-protocol clients). */
  connections(): { websocket: number; sse: number; longpoll: number; pusher: number };
  /** Webhook events waiting for delivery, all receivers together. */
  webhookQueue(): number;
  /** Webhook events dropped (queue full, or retries exhausted), all receivers together. */
  webhookDropped(): number;
  /** Backend hook calls (hooks/client.ts). */
  hooks?: HookStats;
}

/** Seconds, from a publication's arrival at this node to its last local socket write. */
const FANOUT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(sources: MetricsSources): Registry {
  const registry = new Registry();
  const { hub } = sources;
  const counters = hub.counters;
  // Process memory, CPU, event-loop lag (nodejs_eventloop_lag_seconds and its percentiles), GC.
  collectDefaultMetrics({ register: registry });

  /** A counter whose value lives in `read()`: set from it at each scrape. */
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });

  new Gauge({
    name: 'herald_connections',
    help: 'Open client connections on this node, by transport (longpoll: requests being held; pusher: Pusher-protocol clients).',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      for (const [transport, count] of Object.entries(sources.connections())) this.set({ transport }, count);
    },
  });
  new Gauge({
    name: 'herald_subscriptions',
    help: 'Subscriptions on this node (one per connection and channel; held long-polls included).',
    registers: [registry],
    collect() {
      this.set(hub.subscriptionCount());
    },
  });
  new Gauge({
    name: 'herald_channels',
    help: 'Channels with at least one subscriber on this node.',
    registers: [registry],
    collect() {
      this.set(hub.channelCount());
    },
  });
  total('herald_messages_published_total', 'Publications accepted by the engine through this node (HTTP API and client publishes).', () => counters.published);
  total('herald_messages_delivered_total', 'Publication frames queued for a local subscriber (live fan-out and recovery replays).', () => counters.delivered);
  total('herald_subscriber_writes_total', 'Writes of queued frames to WebSocket and SSE subscribers\' sockets; frames delivered per write shows how much flushes coalesce (namespace write_delay_ms).', () => counters.subscriberWrites);
  total('herald_webhook_events_dropped_total', 'Webhook events given up on: the receiver queue was full, or every retry failed (docs/webhooks.md).', () => sources.webhookDropped());
  total('herald_messages_delta_total', 'Of the delivered publication frames, those sent as a delta against the previous one (subscriptions with delta compression).', () => counters.deltas);
  total('herald_messages_conflated_total', 'Publications left out for subscribers of conflating namespaces that fell behind or recovered, because a later publication with the same key superseded them.', () => counters.conflated);
  total('herald_messages_dropped_total', 'Publication frames a local subscriber could not take (closed, slow, long-poll batch full); clients recover them from history.', () => counters.dropped);
  total('herald_slow_consumer_disconnects_total', 'Connections closed because they did not read fast enough (close code 4008).', () => counters.slowConsumerCloses);
  new Counter({
    name: 'herald_auth_failures_total',
    help: 'Refused authentications: kind is publisher (HTTP API), client (a WebSocket/SSE/long-poll token on connect, an `auth` frame or a subscription token) or admin (admin API); reason is the reason code of docs/security.md, or rate_limited.',
    labelNames: ['kind', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, count] of counters.authFailures) {
        const [kind, reason] = key.split(' ');
        this.inc({ kind: kind!, reason: reason! }, count);
      }
    },
  });
  new Counter({
    name: 'herald_fanout_errors_total',
    help: 'Publications or presence events that could not be encoded or delivered to some local subscribers (who were asked to recover), by stage: encode, event, deliver, recovery (a subscribe or poll reading history), history (the HTTP history API).',
    labelNames: ['stage'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [stage, count] of counters.fanoutErrors) this.inc({ stage }, count);
    },
  });
  const fanout = new Histogram({
    name: 'herald_fanout_latency_seconds',
    help: "Time from a publication's arrival at this node (for a local publish: its acceptance by the engine) to the last write of it to a local socket. Publications with no local subscriber are not observed.",
    buckets: FANOUT_BUCKETS,
    registers: [registry],
  });
  hub.onFanout = (seconds) => fanout.observe(seconds);
  new Gauge({
    name: 'herald_webhook_queue_depth',
    help: 'Webhook events waiting to be delivered, all receivers of this node together.',
    registers: [registry],
    collect() {
      this.set(sources.webhookQueue());
    },
  });
  const hooks = sources.hooks;
  if (hooks) {
    new Counter({
      name: 'herald_hook_calls_total',
      help: 'Calls to the backend hooks by hook and outcome (ok, refused, timeout, busy, unreachable, http_error, invalid).',
      labelNames: ['hook', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { hook, outcome, count } of hooks.calls.values()) this.inc({ hook, outcome }, count);
      },
    });
    new Counter({
      name: 'herald_hook_call_seconds_total',
      help: 'Time spent in backend hook calls by hook and outcome (with herald_hook_calls_total: the mean duration).',
      labelNames: ['hook', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { hook, outcome, seconds } of hooks.calls.values()) this.inc({ hook, outcome }, seconds);
      },
    });
    new Gauge({
      name: 'herald_hook_calls_in_flight',
      help: 'Backend hook calls under way on this node (at most hooks.max_concurrency).',
      registers: [registry],
      collect() {
        this.set(hooks.inFlight);
      },
    });
  }
  return registry;
}

/**
 * `GET /metrics` in Prometheus text format; with a `token`, only for `Authorization: Bearer <token>`.
 * `collect` gives the text (this registry's, or every worker's: metrics/cluster.ts).
 */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry, token: string, collect: () => Promise<string> = () => registry.metrics()): void {
  const tokenOk = token ? apiKeyMatcher([token]) : undefined;
  app.get('/metrics', async (req, reply) => {
    if (tokenOk) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !tokenOk(bearer)) throw new HeraldError(ErrorCode.Unauthorized, 'metrics need Authorization: Bearer <metrics.token>');
    }
    return reply.header('content-type', registry.contentType).send(await collect());
  });
}
