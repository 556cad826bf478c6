/**
 * @module sources/runner
 * What Herald does with a source's batch: map each record (sources/mapping.ts), publish it through
 * the HTTP API's own publish path under its idempotency key, and give a verdict per record.
 * Records of one channel are published one after another, oldest first, and the first that fails
 * for a passing reason holds back the younger ones of its channel (retried in order later);
 * channels run side by side. Poison gets a log line, a metric and a `dead` verdict; it never stops
 * the source.
 */
import type { PublishResponse } from '@herald/protocol';
import type { Logger } from 'pino';
import type { IdempotencyCache } from '../api/idempotency.js';
import type { PublishOnce } from '../broker/broker.js';
import { HeraldError } from '../errors.js';
import type { RawJson } from '../json/raw.js';
import { mapRecord, PoisonRecord, type Limits, type MappedRecord, type MappingConfig } from './mapping.js';
import type { Deliver, Source, SourceRecord, Verdict } from './source.js';

/** Publish as `POST /api/publish` does (api/publish.ts `apiPublisher`). */
export type Publish = (channel: string, event: string | undefined, data: RawJson, options?: { once?: PublishOnce }) => Promise<PublishResponse>;

export interface RunnerDeps {
  publish: Publish;
  idempotency: IdempotencyCache;
  log: Logger;
  limits: Limits;
}

/** Engine answers that no retry can change: the record is poison. Anything else passes. */
const PERMANENT = new Set<string>(['bad_json', 'bad_request', 'invalid_channel', 'unknown_channel', 'forbidden', 'payload_too_large', 'not_found']);

/** Totals of one source on this node, read by the metrics. */
export class SourceCounters {
  consumed = 0;
  published = 0;
  /** Records whose idempotency key had been published already (a redelivery): acked, not published again. */
  duplicates = 0;
  retried = 0;
  /** Dead-lettered records by reason (an error code). */
  readonly failed = new Map<string, number>();
}

const ACK: Verdict = { kind: 'ack' };

export class SourceRunner {
  readonly counters = new SourceCounters();
  readonly #scope: string;

  constructor(
    readonly source: Source,
    readonly mapping: MappingConfig,
    readonly deps: RunnerDeps,
  ) {
    // The idempotency scope: a key used by two sources, or by a source and the HTTP API, are two keys.
    this.#scope = `source:${source.name}`;
  }

  start(): Promise<void> {
    return this.source.start(this.deliver);
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  /** Map a record as it would be published, or say why it is poison. */
  map(record: SourceRecord): MappedRecord | PoisonRecord {
    try {
      return mapRecord(this.source.name, record, this.mapping, this.deps.limits);
    } catch (err) {
      if (err instanceof PoisonRecord) return err;
      throw err;
    }
  }

  readonly deliver: Deliver = async (batch) => {
    this.counters.consumed += batch.length;
    const verdicts: Verdict[] = new Array<Verdict>(batch.length);
    const lanes = new Map<string, Array<{ index: number; mapped: MappedRecord }>>();
    batch.forEach((record, index) => {
      const mapped = this.map(record);
      if (mapped instanceof PoisonRecord) return void (verdicts[index] = this.#poison(record, mapped));
      const lane = lanes.get(mapped.channel);
      if (lane) lane.push({ index, mapped });
      else lanes.set(mapped.channel, [{ index, mapped }]);
    });
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        let held: string | undefined;
        for (const { index, mapped } of lane) {
          if (held !== undefined) {
            verdicts[index] = { kind: 'retry', reason: held };
            this.counters.retried++;
            continue;
          }
          verdicts[index] = await this.#publish(batch[index]!, mapped);
          if (verdicts[index].kind === 'retry') held = `an older record of ${mapped.channel} is retried first`;
        }
      }),
    );
    return verdicts;
  };

  async #publish(record: SourceRecord, { channel, event, data, key }: MappedRecord): Promise<Verdict> {
    let ran = false;
    try {
      await this.deps.idempotency.run(key, this.#scope, (once) => {
        ran = true;
        return this.deps.publish(channel, event, data, { once });
      });
      if (ran) this.counters.published++;
      else this.counters.duplicates++;
      return ACK;
    } catch (err) {
      if (err instanceof HeraldError && PERMANENT.has(err.code)) return this.#poison(record, new PoisonRecord(err.code, err.message));
      this.counters.retried++;
      const reason = err instanceof Error ? err.message : String(err);
      this.deps.log.warn({ source: this.source.name, record: record.id, channel, err: reason }, 'source record not published; it will be retried');
      return { kind: 'retry', reason };
    }
  }

  #poison(record: SourceRecord, poison: PoisonRecord): Verdict {
    this.counters.failed.set(poison.reason, (this.counters.failed.get(poison.reason) ?? 0) + 1);
    this.deps.log.error({ source: this.source.name, record: record.id, reason: poison.reason, err: poison.message }, 'poison source record moved to the dead-letter place');
    return { kind: 'dead', reason: `${poison.reason}: ${poison.message}` };
  }
}
