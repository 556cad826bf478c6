/**
 * @module sources/batcher
 * For media that push records one at a time (AMQP deliveries, MQTT messages, JetStream push
 * consumers): gathers them into batches for the runner and settles each with its verdict. One
 * batch is in flight at a time and records keep their arrival order, so a channel's records are
 * published in order. A `retry` verdict keeps the record (unsettled, so the broker still holds
 * it) at the head of the queue, ahead of everything younger, and the next batch waits a backoff:
 * order holds without handing the record back to the broker.
 */
import type { Deliver, SourceRecord, Verdict } from './source.js';
import { Backoff } from './timing.js';

/** Apply a final verdict (`ack` or `dead`) to the record in the medium: ack it, or dead-letter then ack it. */
export type Settle = (verdict: Exclude<Verdict, { kind: 'retry' }>) => Promise<void>;

interface Pending {
  record: SourceRecord;
  settle: Settle;
}

export interface BatcherOptions {
  /** Most records in one batch (`batch_size`). */
  size: number;
  /** How long a batch that is not full waits for more records before it goes. */
  lingerMs: number;
}

export class Batcher {
  readonly #queue: Pending[] = [];
  readonly #backoff = new Backoff();
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly deliver: Deliver,
    readonly options: BatcherOptions,
    /** Told when settling a record failed (its connection dropped): the medium will redeliver it. */
    readonly onSettleError: (err: unknown) => void = () => {},
  ) {}

  /** Records taken from the medium and not settled yet (part of the source's lag). */
  get pending(): number {
    return this.#queue.length;
  }

  push(record: SourceRecord, settle: Settle): void {
    if (this.#closed) return; // the medium redelivers what was never settled
    this.#queue.push({ record, settle });
    if (this.#queue.length >= this.options.size) this.#kick();
    else this.#timer ??= setTimeout(() => this.#kick(), this.options.lingerMs);
  }

  /** Forget everything not yet in flight (its connection is gone: the medium redelivers it). */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Take no more records; wait for the batch in flight to be settled. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #kick(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#queue.slice(0, this.options.size);
      const verdicts = await this.deliver(batch.map((p) => p.record));
      const retry: Pending[] = [];
      await Promise.all(
        batch.map((p, i) => {
          const verdict = verdicts[i]!;
          if (verdict.kind === 'retry') return void retry.push(p);
          return p.settle(verdict).catch(this.onSettleError);
        }),
      );
      // The batch leaves the queue only now: clear() while it was in flight emptied the queue, and
      // with it the batch, whose records the medium redelivers.
      if (this.#queue[0] === batch[0]) this.#queue.splice(0, batch.length, ...retry);
      if (retry.length === 0) {
        this.#backoff.reset();
        continue;
      }
      await new Promise((r) => setTimeout(r, this.#backoff.next()));
    }
  }
}
