/**
 * @module gen/phases
 * The two measured phases, run inside the generator process against already-connected
 * subscribers:
 *  - latency: a steady broadcast rate (default 5/s), far below any server's capacity, so the
 *    figure is fan-out latency rather than queueing;
 *  - peak: several keep-alive publishers in closed loops for a fixed time. Publishing is capped
 *    by a backlog window (publications not yet delivered to every subscriber): a server that
 *    acknowledges before fanning out (Herald) would otherwise be measured as an unbounded queue
 *    and its slow-consumer limit, not its delivery rate. `window: 0` removes the cap.
 * The publishing itself runs on the generator's publisher thread (gen/publisher-thread.ts), so
 * a publish's answer does not wait behind the subscribers' frames on this event loop; deliveries
 * are counted here.
 */
import type { PhaseRequest, PhaseResult } from '../ipc.js';
import { cpuBetween, foldServerSide, sampleCpu } from '../proc.js';
import type { PublisherThread } from './publisher-thread.js';
import { SharedSlot, type PublishOutcome } from './publish-loop.js';
import type { Recorder } from './recorder.js';

export interface PhaseContext {
  recorder: Recorder;
  /** Total subscriber slots (indices), ready or not. */
  slots: number;
  readyCount(): number;
  closedCount(): number;
  /** Next unused sequence number; phases never reuse one, so late frames are recognisable. */
  nextSeq: number;
  /** Runs the publishers on their own event loop (gen/publisher-thread.ts). */
  publisher: PublisherThread;
}

/** A publication counts as lost once nothing has arrived for this long after publishing ended. */
const DRAIN_IDLE_MS = 2000;
const DRAIN_MAX_MS = 60_000;
/** Peak: give up waiting on a full window when no delivery has arrived for this long. */
const STALL_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runPhase(ctx: PhaseContext, req: PhaseRequest): Promise<PhaseResult> {
  const subscribers = ctx.readyCount();
  if (subscribers === 0) throw new Error('no subscribers are connected');
  const maxSeqs =
    req.kind === 'latency'
      ? Math.max(1, Math.round(req.rate * req.durationS))
      : Math.max(1, Math.floor(req.maxDeliveries / subscribers));
  const seqBase = ctx.nextSeq;
  ctx.nextSeq += maxSeqs;
  const rec = ctx.recorder;
  rec.begin(ctx.slots, seqBase, maxSeqs);
  const closedBefore = ctx.closedCount();
  const thread = ctx.publisher;

  const sampled = [...req.serverPids, process.pid];
  const cpuStart = sampleCpu(sampled);
  const start = performance.now();
  let stalled = false;
  const limit = req.kind === 'peak' && req.window > 0 ? req.window * subscribers : Infinity;
  // The backlog window needs the publisher thread to see deliveries; detect a stalled window here.
  let ticker: NodeJS.Timeout | undefined;
  if (limit !== Infinity) {
    rec.onProgress = () => thread.progress(rec.received);
    ticker = setInterval(() => {
      const lastProgress = rec.lastDeliveryAt ? rec.lastDeliveryAt - performance.timeOrigin : start;
      if (Atomics.load(thread.shared, SharedSlot.waiting) === 1 && performance.now() - lastProgress > STALL_MS) {
        stalled = true;
        thread.stall();
      }
    }, 50);
  }
  let outcome: PublishOutcome;
  try {
    outcome = await thread.run({
      kind: req.kind,
      target: req.target,
      payloadBytes: req.payloadBytes,
      seqBase,
      maxSeqs,
      durationS: req.kind === 'latency' ? maxSeqs / req.rate : req.durationS,
      rate: req.rate,
      publishers: req.publishers,
      backlogLimit: limit,
      subscribers,
    });
  } finally {
    clearInterval(ticker);
    rec.onProgress = null;
  }
  const { accepted, failed, failStatus, startEpoch } = outcome;
  const publishEnd = performance.now();
  const receivedInWindow = rec.received;
  const cpuEnd = sampleCpu(sampled);

  // Drain: wait for everything accepted to arrive, or for deliveries to stop.
  const expected = accepted * subscribers;
  const drainStart = performance.now();
  while (rec.received < expected) {
    const now = performance.now();
    const lastAt = rec.lastDeliveryAt ? rec.lastDeliveryAt - performance.timeOrigin : publishEnd;
    if (now - Math.max(lastAt, publishEnd) > DRAIN_IDLE_MS || now - drainStart > DRAIN_MAX_MS) break;
    await sleep(20);
  }

  const counts = rec.counts();
  const spanS = counts.lastDeliveryAt ? (counts.lastDeliveryAt - startEpoch) / 1000 : NaN;
  return {
    cmd: 'phase',
    kind: req.kind,
    subscribers,
    published: accepted,
    publishFailed: failed,
    ...(failStatus !== undefined ? { publishFailStatus: failStatus } : {}),
    expected,
    received: counts.received,
    receivedInWindow,
    lost: Math.max(0, expected - counts.received),
    duplicates: counts.duplicates,
    stray: counts.stray,
    malformed: counts.malformed,
    disconnected: ctx.closedCount() - closedBefore,
    latency: counts.latency,
    publishesPerSec: Math.round(accepted / (outcome.publishMs / 1000)),
    deliveriesPerSec: Math.round(counts.received / spanS),
    spanS: Math.round(spanS * 1000) / 1000,
    stalled,
    cpu: foldServerSide(cpuBetween(cpuStart, cpuEnd), req.serverPids.length),
  };
}
