/**
 * @module gen/phases
 * The measured phases, run inside the generator process against already-connected
 * subscribers:
 *  - latency: a steady broadcast rate (default 5/s), far below any server's capacity, so the
 *    figure is fan-out latency rather than queueing;
 *  - peak: several keep-alive publishers in closed loops for a fixed time. Publishing is capped
 *    by a backlog window (publications not yet delivered to every subscriber): a server that
 *    acknowledges before fanning out (Herald) would otherwise be measured as an unbounded queue
 *    and its slow-consumer limit, not its delivery rate. `window: 0` removes the cap;
 *  - steady: a fixed rate (e.g. 20/s) for minutes, like latency but long enough to see the tail
 *    that garbage collection makes: latency per window of publish time, every publish POST's
 *    round trip, and the generator's own heap and GC pauses (so its pauses are not mistaken for
 *    the server's; the harness samples the server's, see server-sampler.ts).
 * The publishing itself runs on the generator's publisher thread (gen/publisher-thread.ts), so
 * a publish's answer does not wait behind the subscribers' frames on this event loop; deliveries
 * are counted here.
 */
import type { Extent, PhaseRequest, PhaseResult, SteadyDetail } from '../ipc.js';
import { cpuBetween, foldServerSide, sampleCpu } from '../proc.js';
import { GcRecorder, summariseGc } from '../stats/gc.js';
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
/** Steady: how often the generator samples its own heap. */
const SELF_SAMPLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const epochMs = (): number => performance.timeOrigin + performance.now();

export async function runPhase(ctx: PhaseContext, req: PhaseRequest): Promise<PhaseResult> {
  const subscribers = ctx.readyCount();
  if (subscribers === 0) throw new Error('no subscribers are connected');
  const fixedRate = req.kind !== 'peak';
  const maxSeqs = fixedRate ? Math.max(1, Math.round(req.rate * req.durationS)) : Math.max(1, Math.floor(req.maxDeliveries / subscribers));
  const seqBase = ctx.nextSeq;
  ctx.nextSeq += maxSeqs;
  const rec = ctx.recorder;
  const windowS = req.windowS ?? 30;
  const steady = req.kind === 'steady' ? new SelfWatch(SELF_SAMPLE_MS) : null;
  rec.begin(
    ctx.slots,
    seqBase,
    maxSeqs,
    steady ? { fromUs: epochMs() * 1000, us: windowS * 1e6, count: Math.max(1, Math.ceil(req.durationS / windowS)) } : undefined,
  );
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
      durationS: fixedRate ? maxSeqs / req.rate : req.durationS,
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
  const publishEndEpoch = epochMs();
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
  let detail: SteadyDetail | undefined;
  if (steady) {
    const self = steady.stop();
    const windows = rec.windowSummaries();
    detail = {
      startEpochMs: startEpoch,
      endEpochMs: publishEndEpoch,
      windowS,
      windows,
      post: outcome.post,
      generator: {
        heapUsedBytes: self.heapUsed,
        rssBytes: self.rss,
        gc: summariseGc(self.pauses, startEpoch, publishEndEpoch),
        gcWindows: windows.map((_, i) => summariseGc(self.pauses, startEpoch + i * windowS * 1000, Math.min(publishEndEpoch, startEpoch + (i + 1) * windowS * 1000))),
      },
    };
  }
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
    ...(detail ? { steady: detail } : {}),
  };
}
/** The generator's own heap (sampled) and GC pauses (all of them) while a steady phase runs. */
class SelfWatch {
  readonly #gc = new GcRecorder();
  readonly #heapUsed: Extent = { min: Infinity, max: 0 };
  readonly #rss: Extent = { min: Infinity, max: 0 };
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.#timer = setInterval(() => {
      const m = process.memoryUsage();
      this.#heapUsed.min = Math.min(this.#heapUsed.min, m.heapUsed);
      this.#heapUsed.max = Math.max(this.#heapUsed.max, m.heapUsed);
      this.#rss.min = Math.min(this.#rss.min, m.rss);
      this.#rss.max = Math.max(this.#rss.max, m.rss);
    }, intervalMs);
  }

  stop(): { heapUsed: Extent; rss: Extent; pauses: number[] } {
    clearInterval(this.#timer);
    return { heapUsed: this.#heapUsed, rss: this.#rss, pauses: this.#gc.stop() };
  }
}

