/**
 * @module sources/metrics
 * Per-source series on the node's Prometheus registry, read from each runner's counters and its
 * source's health when Prometheus scrapes.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SourceCounters, SourceRunner } from './runner.js';

export function registerSourceMetrics(registry: Registry, runners: readonly SourceRunner[]): void {
  if (runners.length === 0) return;
  const total = (name: string, help: string, read: (c: SourceCounters) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of runners) this.inc({ source: r.source.name }, read(r.counters));
      },
    });
  total('herald_source_records_consumed_total', 'Records this node took from each source (a redelivered record counts again).', (c) => c.consumed);
  total('herald_source_records_published_total', 'Records this node published from each source.', (c) => c.published);
  total('herald_source_records_duplicate_total', 'Redelivered records whose idempotency key was published already: settled without publishing again.', (c) => c.duplicates);
  total('herald_source_records_retried_total', 'Records left in the source to be retried (engine unavailable, or an older record of the channel was).', (c) => c.retried);
  new Counter({
    name: 'herald_source_records_failed_total',
    help: 'Poison records moved to the source\'s dead-letter place, by reason (an error code: bad_json, payload_too_large, unknown_channel, invalid_channel, forbidden, bad_request).',
    labelNames: ['source', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of runners) for (const [reason, n] of r.counters.failed) this.inc({ source: r.source.name, reason }, n);
    },
  });
  new Gauge({
    name: 'herald_source_lag',
    help: 'Records written to the source and not yet settled by any node, as last measured (-1 = not measured yet).',
    labelNames: ['source'],
    registers: [registry],
    // Workers of one `herald serve` each measure the same backlog: report it once, not summed.
    aggregator: 'max',
    collect() {
      for (const r of runners) this.set({ source: r.source.name }, r.source.health().lag);
    },
  });
  new Gauge({
    name: 'herald_source_up',
    help: '1 while the source is connected and consuming, 0 while it reconnects.',
    labelNames: ['source'],
    registers: [registry],
    // Across workers: 0 when any of them has the source down.
    aggregator: 'min',
    collect() {
      for (const r of runners) this.set({ source: r.source.name }, r.source.health().up ? 1 : 0);
    },
  });
}
