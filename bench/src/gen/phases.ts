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
 */
import type { PhaseRequest, PhaseResult } from '../ipc.js';
import { cpuBetween, foldServerSide, sampleCpu } from '../proc.js';
import { Publisher } from './publisher.js';
import type { Recorder } from './recorder.js';

export interface PhaseContext {
  recorder: Recorder;
  /** Total subscriber slots (indices), ready or not. */
  slots: number;
  readyCount(): number;
  closedCount(): number;
  /** Next unused sequence number; phases never reuse one, so late frames are recognisable. */
  nextSeq: number;
}

/** A publication counts as lost once nothing has arrived for this long after publishing ended. */
const DRAIN_IDLE_MS = 2000;
const DRAIN_MAX_MS = 60_000;
/** Peak: give up waiting on a full window when no delivery has arrived for this long. */
const STALL_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const epochMs = (): number => performance.timeOrigin + performance.now();

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
  const publisher = new Publisher(req.target, req.kind === 'latency' ? 2 : req.publishers, req.payloadBytes);

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

  const sampled = [...req.serverPids, process.pid];
  const cpuStart = sampleCpu(sampled);
  const startEpoch = epochMs();
  const start = performance.now();
  let stalled = false;

  if (req.kind === 'latency') {
    const interval = 1000 / req.rate;
    const inflight: Array<Promise<void>> = [];
    for (let i = 0; i < maxSeqs; i++) {
      // Absolute schedule, so a slow publish does not shift the following ones.
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      inflight.push(publisher.publish(seqBase + i).then(onStatus));
    }
    await Promise.all(inflight);
  } else {
    const deadline = start + req.durationS * 1000;
    const limit = req.window > 0 ? req.window * subscribers : Infinity;
    let issued = 0;
    let waiters: Array<() => void> = [];
    const wake = (): void => {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    };
    const backlogFull = (): boolean => issued * subscribers - rec.received > limit;
    rec.onProgress = () => {
      if (waiters.length > 0 && !backlogFull()) wake();
    };
    // Wakes waiters at the deadline and detects a stalled window (lost deliveries never drain).
    const ticker = setInterval(() => {
      const now = performance.now();
      const lastProgress = rec.lastDeliveryAt ? rec.lastDeliveryAt - performance.timeOrigin : start;
      if (waiters.length > 0 && now - lastProgress > STALL_MS) stalled = true;
      if (now >= deadline || stalled) wake();
    }, 50);
    const loop = async (): Promise<void> => {
      while (performance.now() < deadline && issued < maxSeqs && !stalled) {
        if (backlogFull()) {
          await new Promise<void>((resolve) => waiters.push(resolve));
          continue;
        }
        const seq = seqBase + issued++;
        onStatus(await publisher.publish(seq));
      }
    };
    await Promise.all(Array.from({ length: req.publishers }, loop));
    clearInterval(ticker);
    rec.onProgress = null;
  }
  const publishEnd = performance.now();
  const receivedInWindow = rec.received;
  const cpuEnd = sampleCpu(sampled);
  publisher.close();

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
    publishesPerSec: Math.round(accepted / ((publishEnd - start) / 1000)),
    deliveriesPerSec: Math.round(counts.received / spanS),
    spanS: Math.round(spanS * 1000) / 1000,
    stalled,
    cpu: foldServerSide(cpuBetween(cpuStart, cpuEnd), req.serverPids.length),
  };
}
