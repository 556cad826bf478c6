/**
 * @module stats/gc
 * Garbage-collection pauses of a process over a phase, as the V8 `gc` performance entries
 * report them, in one flat record so the same summary serves the generator (observed in
 * process) and the server (observed through its inspector, see server-sampler.ts): triples of
 * [start as epoch ms, pause ms, kind].
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** perf_hooks' NODE_PERFORMANCE_GC_* kinds. */
const KINDS: Record<number, keyof GcSummary['byKind']> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' };

export interface GcTotals {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface GcSummary extends GcTotals {
  /** Scavenges (minor), mark-compacts (major), incremental marking steps, weak callbacks. */
  byKind: { minor: GcTotals; major: GcTotals; incremental: GcTotals; weakcb: GcTotals };
  /** Pauses of 10 ms or more. */
  over10ms: number;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const totals = (): GcTotals => ({ count: 0, totalMs: 0, maxMs: 0 });
function add(t: GcTotals, ms: number): void {
  t.count++;
  t.totalMs += ms;
  if (ms > t.maxMs) t.maxMs = ms;
}
function rounded(t: GcTotals): GcTotals {
  return { count: t.count, totalMs: round(t.totalMs), maxMs: round(t.maxMs) };
}

/** Summary of the pauses (flat triples) that started in [fromMs, toMs) (epoch ms). */
export function summariseGc(pauses: readonly number[], fromMs = -Infinity, toMs = Infinity): GcSummary {
  const all = totals();
  const byKind = { minor: totals(), major: totals(), incremental: totals(), weakcb: totals() };
  let over10ms = 0;
  for (let i = 0; i + 2 < pauses.length; i += 3) {
    const at = pauses[i]!;
    if (at < fromMs || at >= toMs) continue;
    const ms = pauses[i + 1]!;
    add(all, ms);
    const kind = KINDS[pauses[i + 2]!];
    if (kind) add(byKind[kind], ms);
    if (ms >= 10) over10ms++;
  }
  return {
    ...rounded(all),
    byKind: { minor: rounded(byKind.minor), major: rounded(byKind.major), incremental: rounded(byKind.incremental), weakcb: rounded(byKind.weakcb) },
    over10ms,
  };
}

/**
 * What the server evaluates through its inspector to start recording (an expression: nothing of
 * the bench is loaded into the server). The observer only appends numbers to one array, so it
 * adds next to no garbage of its own; `GC_OBSERVER_STOP` detaches it and returns the array.
 */
export const GC_OBSERVER_START = `(() => {
  if (globalThis.__benchGc) globalThis.__benchGc.obs.disconnect();
  const origin = performance.timeOrigin;
  const pauses = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(Math.round((origin + e.startTime) * 10) / 10, Math.round(e.duration * 1000) / 1000, e.detail ? e.detail.kind : e.kind);
  });
  obs.observe({ entryTypes: ['gc'] });
  globalThis.__benchGc = { obs, pauses };
  return true;
})()`;

export const GC_OBSERVER_STOP = `(() => {
  const g = globalThis.__benchGc;
  if (!g) return [];
  g.obs.disconnect();
  delete globalThis.__benchGc;
  return g.pauses;
})()`;

/** Records this process's GC pauses (the generator's own) until stopped. */
export class GcRecorder {
  readonly pauses: number[] = [];
  readonly #obs: PerformanceObserver;

  constructor() {
    const origin = performance.timeOrigin;
    this.#obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
        this.pauses.push(Math.round((origin + e.startTime) * 10) / 10, Math.round(e.duration * 1000) / 1000, detail?.kind ?? 0);
      }
    });
    this.#obs.observe({ entryTypes: ['gc'] });
  }

  stop(): number[] {
    this.#obs.disconnect();
    return this.pauses;
  }
}
