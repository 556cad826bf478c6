/**
 * @module gen/publish-loop
 * The publishing half of a measured phase (gen/phases.ts), run on the publisher thread
 * (gen/publisher-thread.ts): the latency and steady phases' absolute schedule, or the peak
 * phase's closed loops, each publish awaited before its loop's next one.
 *
 * Why a thread of its own: at the peak the generator's event loop is busy parsing the frames of
 * thousands of subscriber sockets, and a publish's answer used to wait behind whole batches of
 * them. A sequential publisher (`--publishers 1`) then measured the generator's turn length, not
 * the server. Here the publisher's only socket is its own, and the kernel schedules this thread
 * as soon as the answer arrives. It runs in the generator process, on the generator's core, so
 * its CPU is the generator's and every server is driven the same way.
 *
 * The peak phase's backlog window needs the deliveries counted on the main thread: they are
 * shared through `Int32Array` slots (see SharedSlot), read with Atomics.
 */
import { Histogram, type LatencySummary } from '../stats/histogram.js';
import type { PublishTarget } from './publisher.js';
import { Publisher } from './publisher.js';

/** Slots of the shared Int32Array between the generator's main thread and the publisher thread. */
export const SharedSlot = {
  /** Distinct deliveries counted so far in this phase (written by the main thread). */
  received: 0,
  /** 1 while the publisher waits for the backlog to drain, so the main thread knows to notify. */
  waiting: 1,
  /** 1 once the main thread saw the window stall (no delivery for its timeout): stop publishing. */
  stalled: 2,
  length: 3,
} as const;

export interface PublishJob {
  kind: 'latency' | 'peak' | 'steady';
  target: PublishTarget;
  payloadBytes: number;
  seqBase: number;
  maxSeqs: number;
  durationS: number;
  /** latency, steady: broadcasts per second. */
  rate: number;
  /** peak: concurrent closed loops, each on its own keep-alive connection. */
  publishers: number;
  /** peak: most deliveries (publications × subscribers) allowed outstanding; Infinity = no cap. */
  backlogLimit: number;
  subscribers: number;
}

export interface PublishOutcome {
  accepted: number;
  failed: number;
  failStatus?: number;
  /** Wall-clock ms of the first publish (the start of the delivery span). */
  startEpoch: number;
  /** Milliseconds from the first publish until the last answer. */
  publishMs: number;
  /** Every publish's round trip (latency and steady phases). */
  post: LatencySummary;
}

/** Atomics.waitAsync (V8, Node ≥ 16) is missing from this project's ES2022 lib typings. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How often a publisher waiting on a full backlog re-checks its deadline. */
const WAIT_SLICE_MS = 50;
/** Keep-alive connections of the fixed-rate phases, so a slow POST does not queue the next. */
const FIXED_RATE_CONNECTIONS = { latency: 2, steady: 4 } as const;

export async function runPublishJob(job: PublishJob, shared: Int32Array): Promise<PublishOutcome> {
  const publisher = new Publisher(job.target, job.kind === 'peak' ? job.publishers : FIXED_RATE_CONNECTIONS[job.kind], job.payloadBytes);
  const post = new Histogram();
  let accepted = 0;
  let failed = 0;
  let failStatus: number | undefined;
  const onStatus = (status: number): void => {
    if (status === 200) accepted++;
    else {
      failed++;
      failStatus ??= status;
    }
  };
  const startEpoch = performance.timeOrigin + performance.now();
  const start = performance.now();
  try {
    if (job.kind !== 'peak') {
      const interval = 1000 / job.rate;
      const inflight: Array<Promise<void>> = [];
      for (let i = 0; i < job.maxSeqs; i++) {
        // Absolute schedule, so a slow publish does not shift the following ones.
        const wait = start + i * interval - performance.now();
        if (wait > 0) await sleep(wait);
        const sentAt = performance.now();
        inflight.push(
          publisher.publish(job.seqBase + i).then((status) => {
            post.record((performance.now() - sentAt) * 1000);
            onStatus(status);
          }),
        );
      }
      await Promise.all(inflight);
    } else {
      const deadline = start + job.durationS * 1000;
      let issued = 0;
      const backlogFull = (): boolean => issued * job.subscribers - Atomics.load(shared, SharedSlot.received) > job.backlogLimit;
      const waitForDrain = async (): Promise<void> => {
        const seen = Atomics.load(shared, SharedSlot.received);
        Atomics.store(shared, SharedSlot.waiting, 1);
        // Returns at once if a delivery was counted since `seen`; otherwise on the next one (notified) or the slice.
        const w = waitAsync(shared, SharedSlot.received, seen, WAIT_SLICE_MS);
        if (w.async) await w.value;
        Atomics.store(shared, SharedSlot.waiting, 0);
      };
      const stalled = (): boolean => Atomics.load(shared, SharedSlot.stalled) === 1;
      const loop = async (): Promise<void> => {
        while (performance.now() < deadline && issued < job.maxSeqs && !stalled()) {
          if (job.backlogLimit !== Infinity && backlogFull()) {
            await waitForDrain();
            continue;
          }
          onStatus(await publisher.publish(job.seqBase + issued++));
        }
      };
      await Promise.all(Array.from({ length: job.publishers }, loop));
    }
  } finally {
    publisher.close();
  }
  return {
    accepted,
    failed,
    ...(failStatus !== undefined ? { failStatus } : {}),
    startEpoch,
    publishMs: performance.now() - start,
    post: post.summary(),
  };
}
