/**
 * @module sources/sources
 * The sources of one node: built from `sources:`, started once the node listens, stopped first
 * when it shuts down (a batch in hand is published and settled before the engine closes), and
 * their states for `/readyz` and the metrics.
 */
import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/schema.js';
import { createSource } from './create.js';
import { SourceRunner, type RunnerDeps } from './runner.js';

export interface SourceState {
  up: boolean;
  reason?: string;
  lag: number;
}

export class Sources {
  readonly runners: SourceRunner[];
  /** Sources whose being down turns `/readyz` 503. */
  readonly required: Set<string>;

  constructor(config: HeraldConfig, deps: RunnerDeps, log: Logger) {
    this.runners = Object.entries(config.sources).map(([name, source]) => {
      const { channel, event, data, idempotency_key } = source;
      return new SourceRunner(createSource(name, source, log), { channel, event, data, idempotency_key }, deps);
    });
    this.required = new Set(Object.entries(config.sources).filter(([, s]) => s.required).map(([name]) => name));
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  /** Each source's state by name (empty without sources). */
  states(): Record<string, SourceState> {
    return Object.fromEntries(
      this.runners.map((r) => {
        const { up, reason, lag } = r.source.health();
        return [r.source.name, reason === undefined ? { up, lag } : { up, reason, lag }];
      }),
    );
  }

  /** Why `/readyz` must say 503: a required source that is down. */
  downRequired(): string | undefined {
    for (const r of this.runners) {
      const { up, reason } = r.source.health();
      if (!up && this.required.has(r.source.name)) return `source "${r.source.name}" is down: ${reason ?? 'unknown'}`;
    }
    return undefined;
  }
}
