/**
 * @module gen/publisher-thread
 * Runs a phase's publishers (gen/publish-loop.ts) on a worker thread of the generator process,
 * so publish round trips do not queue behind the subscriber sockets' frames on the main event
 * loop. One thread per generator, started once and reused by every phase; the same for every
 * server, so ratios stay fair. Its CPU is counted with the generator's (/proc/<pid>/stat sums
 * the process's threads), on the generator's core (threads inherit the process's affinity).
 *
 * This file is both the main-thread handle (PublisherThread) and, when loaded as a worker, the
 * worker's entry point.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runPublishJob, SharedSlot, type PublishJob, type PublishOutcome } from './publish-loop.js';

type Reply = { ok: true; outcome: PublishOutcome } | { ok: false; message: string };

export class PublisherThread {
  /** Shared with the worker: see SharedSlot. */
  readonly shared = new Int32Array(new SharedArrayBuffer(SharedSlot.length * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker: Worker;

  constructor() {
    this.#worker = new Worker(new URL(import.meta.url), { workerData: { shared: this.shared } });
    this.#worker.unref();
  }

  /** Publish a phase's publications; resolves when every publish has been answered. */
  run(job: PublishJob): Promise<PublishOutcome> {
    Atomics.store(this.shared, SharedSlot.received, 0);
    Atomics.store(this.shared, SharedSlot.waiting, 0);
    Atomics.store(this.shared, SharedSlot.stalled, 0);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#worker.off('message', onMessage);
        reject(err);
      };
      const onMessage = (reply: Reply): void => {
        this.#worker.off('error', onError);
        if (reply.ok) resolve(reply.outcome);
        else reject(new Error(`publisher thread: ${reply.message}`));
      };
      this.#worker.once('message', onMessage);
      this.#worker.once('error', onError);
      this.#worker.postMessage(job);
    });
  }

  /** A delivery was counted: publish the count, and wake a publisher waiting on the backlog. */
  progress(received: number): void {
    Atomics.store(this.shared, SharedSlot.received, received);
    if (Atomics.load(this.shared, SharedSlot.waiting) === 1) Atomics.notify(this.shared, SharedSlot.received);
  }

  /** The backlog stalled (nothing delivered for the stall timeout): stop publishing. */
  stall(): void {
    Atomics.store(this.shared, SharedSlot.stalled, 1);
    Atomics.notify(this.shared, SharedSlot.received);
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const shared = (workerData as { shared: Int32Array }).shared;
  port.on('message', (job: PublishJob) => {
    runPublishJob(job, shared).then(
      (outcome) => port.postMessage({ ok: true, outcome } satisfies Reply),
      (err: unknown) => port.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
}
