/**
 * @module aggregate
 * Combines repeated runs of one server × size. On a shared two-core VM a single run can be off
 * by 2× in either direction, so with --repeat the table shows per-figure medians with the
 * range beside the headline ones. Loss and duplicates are summed, never averaged away, and
 * foreign load is the worst seen.
 */
import type { RunResult } from './harness.js';
import type { PhaseResult } from './ipc.js';

export interface Range {
  min: number;
  max: number;
}

export interface AggregateResult extends RunResult {
  /** Successful runs combined into this row. */
  repeats: number;
  ranges: { latencyP50?: Range; latencyP99?: Range; peakDeliveries?: Range; rssGc?: Range };
  runs: RunResult[];
}

function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function range(values: number[]): Range {
  return { min: Math.min(...values), max: Math.max(...values) };
}

function combinePhase(phases: PhaseResult[]): PhaseResult {
  const m = (f: (p: PhaseResult) => number): number => median(phases.map(f));
  const sum = (f: (p: PhaseResult) => number): number => phases.reduce((a, p) => a + f(p), 0);
  const first = phases[0]!;
  return {
    ...first,
    published: sum((p) => p.published),
    publishFailed: sum((p) => p.publishFailed),
    expected: sum((p) => p.expected),
    received: sum((p) => p.received),
    receivedInWindow: sum((p) => p.receivedInWindow),
    lost: sum((p) => p.lost),
    duplicates: sum((p) => p.duplicates),
    stray: sum((p) => p.stray),
    malformed: sum((p) => p.malformed),
    disconnected: sum((p) => p.disconnected),
    stalled: phases.some((p) => p.stalled),
    publishesPerSec: Math.round(m((p) => p.publishesPerSec)),
    deliveriesPerSec: Math.round(m((p) => p.deliveriesPerSec)),
    spanS: m((p) => p.spanS),
    latency: {
      count: sum((p) => p.latency.count),
      min: Math.min(...phases.map((p) => p.latency.min)),
      p50: m((p) => p.latency.p50),
      p90: m((p) => p.latency.p90),
      p99: m((p) => p.latency.p99),
      p999: m((p) => p.latency.p999),
      max: Math.max(...phases.map((p) => p.latency.max)),
      mean: m((p) => p.latency.mean),
    },
    cpu: {
      ...first.cpu,
      seconds: m((p) => p.cpu.seconds),
      procs: first.cpu.procs.map((_, i) => m((p) => p.cpu.procs[i] ?? NaN)),
      ...(first.cpu.serverParts ? { serverParts: first.cpu.serverParts.map((_, i) => m((p) => p.cpu.serverParts?.[i] ?? NaN)) } : {}),
      sys: first.cpu.sys.map((_, i) => m((p) => p.cpu.sys[i] ?? NaN)),
      cores: first.cpu.cores.map((_, i) => m((p) => p.cpu.cores[i] ?? NaN)),
      coresIrq: first.cpu.coresIrq.map((_, i) => m((p) => p.cpu.coresIrq[i] ?? NaN)),
      syscalls: first.cpu.syscalls.map((_, i) => ({
        reads: m((p) => p.cpu.syscalls[i]?.reads ?? NaN),
        writes: m((p) => p.cpu.syscalls[i]?.writes ?? NaN),
      })),
    },
  };
}

export function aggregate(runs: RunResult[]): AggregateResult {
  const ok = runs.filter((r) => !r.error);
  const base = ok[0] ?? runs[0]!;
  const out: AggregateResult = { ...base, repeats: ok.length, ranges: {}, runs };
  if (ok.length === 0) return out;
  if (ok.length < runs.length) out.error = `${runs.length - ok.length} of ${runs.length} runs failed: ${runs.find((r) => r.error)?.error}`;
  else delete out.error;
  out.attempts = ok.reduce((a, r) => a + (r.attempts ?? 1), 0);
  const foreign = ok.map((r) => r.foreignLoadPct).filter((x): x is number => x !== undefined);
  if (foreign.length) out.foreignLoadPct = Math.max(...foreign);
  const lat = ok.map((r) => r.latency).filter((p): p is PhaseResult => !!p);
  const peak = ok.map((r) => r.peak).filter((p): p is PhaseResult => !!p);
  if (lat.length) {
    out.latency = combinePhase(lat);
    out.ranges.latencyP50 = range(lat.map((p) => p.latency.p50));
    out.ranges.latencyP99 = range(lat.map((p) => p.latency.p99));
  }
  if (peak.length) {
    out.peak = combinePhase(peak);
    out.ranges.peakDeliveries = range(peak.map((p) => p.deliveriesPerSec));
  }
  const rss = ok.map((r) => r.rss).filter((x): x is NonNullable<RunResult['rss']> => !!x);
  if (rss.length) {
    const m = (f: (x: NonNullable<RunResult['rss']>) => number): number => Math.round(median(rss.map(f)));
    out.rss = {
      baselineBytes: m((x) => x.baselineBytes),
      baselineGcBytes: m((x) => x.baselineGcBytes),
      stepBytes: m((x) => x.stepBytes),
      stepGcBytes: m((x) => x.stepGcBytes),
      idleBytes: m((x) => x.idleBytes),
      idleGcBytes: m((x) => x.idleGcBytes),
      perConnectionBytes: m((x) => x.perConnectionBytes),
      perConnectionGcBytes: m((x) => x.perConnectionGcBytes),
      marginalGcBytes: m((x) => x.marginalGcBytes),
      afterBytes: m((x) => x.afterBytes),
    };
    out.ranges.rssGc = range(rss.map((x) => x.perConnectionGcBytes));
  }
  return out;
}
