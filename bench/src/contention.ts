/**
 * @module contention
 * The benchmark box may be shared (builds and test suites of other work run on it). CPU used
 * by anything but the server and the generator on their cores would be charged to whichever
 * server happened to be measured, so each run waits for quiet cores first, and a run whose
 * phases saw foreign load is repeated; what remains is reported, never hidden.
 */
import type { RunResult } from './harness.js';
import { coreTimes } from './proc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Busy percent per core over `ms`. */
export async function coreBusy(ms: number): Promise<number[]> {
  const a = coreTimes();
  await sleep(ms);
  const b = coreTimes();
  return b.map((c, i) => {
    const dt = c.total - (a[i]?.total ?? 0);
    return dt > 0 ? (100 * (c.busy - (a[i]?.busy ?? 0))) / dt : 0;
  });
}

/** Waits until every core is below `thresholdPct` busy for a second; returns false on timeout. */
export async function waitForQuiet(thresholdPct: number, maxWaitMs: number, log: (s: string) => void): Promise<boolean> {
  const until = performance.now() + maxWaitMs;
  let warned = false;
  for (;;) {
    const busy = await coreBusy(1000);
    if (busy.every((b) => b < thresholdPct)) return true;
    if (!warned) {
      log(`  waiting for quiet cores (now ${busy.map((b) => b.toFixed(0) + '%').join(' / ')} busy)`);
      warned = true;
    }
    if (performance.now() > until) return false;
  }
}

/**
 * Largest CPU share on the server's or generator's core not used by that process, over the
 * measured phases (percent of a core). Kernel softirq work for loopback TCP is charged to
 * the process that triggered it on this kernel, so the remainder really is someone else.
 */
export function foreignLoad(r: RunResult): number {
  let worst = 0;
  for (const p of [r.latency, r.peak, r.steady]) {
    if (!p) continue;
    const [serverProc = 0, genProc = 0] = p.cpu.procs;
    const [core0 = 0, core1 = 0] = p.cpu.cores;
    worst = Math.max(worst, core0 - serverProc, core1 - genProc);
  }
  return Math.round(worst * 10) / 10;
}
