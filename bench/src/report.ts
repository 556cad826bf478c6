/**
 * @module report
 * Turns run results into the console/markdown table and the target check. The targets are
 * ratios to the naive ws server measured in the same run, so they compare like with like on
 * whatever machine the benchmark runs on.
 */
import type { AggregateResult, Range } from './aggregate.js';
import type { RunResult } from './harness.js';
import type { PhaseResult } from './ipc.js';

/** A process at or above this share of its core is treated as saturated (it set the pace). */
const SATURATED_PCT = 90;

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const kib = (bytes: number | undefined): string => (bytes === undefined ? '–' : fmt(bytes / 1024, 1));
const pct = (p: PhaseResult | undefined, i: number): string => (p ? fmt(p.cpu.procs[i], 0) : '–');
/** Server-side CPU at peak per process, for targets that run several ("node 1 48 + node 2 30 + redis 21"). */
const parts = (r: RunResult): string => {
  const p = r.peak?.cpu.serverParts;
  return p && r.serverProcs ? ` (peak: ${p.map((v, i) => `${r.serverProcs![i]} ${fmt(v, 0)}`).join(' + ')})` : '';
};
const loss = (p: PhaseResult | undefined): string => (p ? `${fmt(p.lost)}${p.duplicates ? ` (+${p.duplicates} dup)` : ''}` : '–');

/**
 * Which side ran out of CPU during a phase. Process CPU is the right gauge here: on this
 * kernel the loopback softirq work is charged to the process that made the syscall. The server
 * side is every process on its core (nodes, workers, Redis), summed.
 */
export function saturated(p: PhaseResult | undefined): string {
  if (!p) return '–';
  const server = (p.cpu.procs[0] ?? 0) >= SATURATED_PCT;
  const generator = (p.cpu.procs[1] ?? 0) >= SATURATED_PCT;
  return server && generator ? 'both' : server ? 'server' : generator ? 'generator' : 'neither';
}

const HEADER = [
  'server',
  'subscribers',
  'p50 ms @5/s',
  'p99 ms @5/s',
  'peak deliveries/s',
  'peak publishes/s',
  'peak p99 ms',
  'lost @5/s',
  'lost peak',
  'RSS/idle conn KiB: settled · after GC (marginal)',
  'server CPU % (5/s · peak)',
  'generator CPU % (5/s · peak)',
  'saturated at peak',
  'other load on cores % (worst run)',
];

/** "median (min–max)" when the row combines several runs. */
function withRange(value: string, r: RunResult, key: keyof AggregateResult['ranges'], digits: number, scale = 1): string {
  const range: Range | undefined = 'ranges' in r ? (r as AggregateResult).ranges[key] : undefined;
  // No range for a figure no run had (RSS after GC without an inspector).
  if (!range || (r as AggregateResult).repeats < 2 || !Number.isFinite(range.min)) return value;
  return `${value} (${fmt(range.min / scale, digits)}–${fmt(range.max / scale, digits)})`;
}

function row(r: RunResult): string[] {
  if (r.error && !r.latency && !r.peak) {
    return [r.server, fmt(r.subscribers), `error: ${r.error.slice(0, 80)}`, ...HEADER.slice(3).map(() => '')];
  }
  const l = r.latency;
  const p = r.peak;
  return [
    r.server,
    fmt(r.subscribers),
    withRange(fmt(l?.latency.p50, 1), r, 'latencyP50', 1),
    withRange(fmt(l?.latency.p99, 1), r, 'latencyP99', 1),
    withRange(fmt(p?.deliveriesPerSec), r, 'peakDeliveries', 0),
    fmt(p?.publishesPerSec),
    fmt(p?.latency.p99, 1),
    loss(l),
    loss(p) + (p?.stalled ? ' (stalled)' : ''),
    r.rss ? `${kib(r.rss.perConnectionBytes)} · ${withRange(kib(r.rss.perConnectionGcBytes), r, 'rssGc', 1, 1024)} (${kib(r.rss.marginalGcBytes)})` : '–',
    `${pct(l, 0)} · ${pct(p, 0)}${parts(r)}`,
    `${pct(l, 1)} · ${pct(p, 1)}`,
    saturated(p),
    r.foreignLoadPct === undefined ? '–' : fmt(r.foreignLoadPct, 0),
  ];
}

export function markdownTable(results: RunResult[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of results) lines.push(`| ${row(r).join(' | ')} |`);
  return lines.join('\n');
}

/** Plain fixed-width table for the terminal. */
export function textTable(results: RunResult[]): string {
  const rows = [HEADER, ...results.map(row)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export interface TargetCheck {
  subscribers: number;
  target: string;
  herald: string;
  reference: string;
  met: boolean | null;
}

const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');

/** Herald's targets from the issue, evaluated per subscriber count present in the results. */
export function checkTargets(results: RunResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (server: string, n: number): RunResult | undefined => results.find((r) => r.server === server && r.subscribers === n);
  const sizes = [...new Set(results.map((r) => r.subscribers))].sort((a, b) => a - b);
  for (const n of sizes) {
    const h = find('herald', n);
    const pusher = find('herald-pusher', n);
    if (h?.peak && pusher?.peak) {
      checks.push({
        subscribers: n,
        target: 'Pusher protocol peak deliveries/s within 10 % of native',
        herald: fmt(pusher.peak.deliveriesPerSec),
        reference: `native ${fmt(h.peak.deliveriesPerSec)} (ratio ${ratio(pusher.peak.deliveriesPerSec, h.peak.deliveriesPerSec)})`,
        met: pusher.peak.deliveriesPerSec >= 0.9 * h.peak.deliveriesPerSec,
      });
    }
    if (!h?.latency || !h.peak || !h.rss) continue;
    const naive = find('naive', n);
    const sio = find('socketio', n);
    if (naive?.peak && n === Math.max(...sizes)) {
      checks.push({
        subscribers: n,
        target: 'peak deliveries/s ≥ 2× naive ws',
        herald: fmt(h.peak.deliveriesPerSec),
        reference: `${fmt(naive.peak.deliveriesPerSec)} (ratio ${ratio(h.peak.deliveriesPerSec, naive.peak.deliveriesPerSec)})`,
        met: h.peak.deliveriesPerSec >= 2 * naive.peak.deliveriesPerSec,
      });
    }
    if (naive?.latency) {
      checks.push({
        subscribers: n,
        target: 'p99 @5/s ≤ naive ws p99',
        herald: `${fmt(h.latency.latency.p99, 2)} ms`,
        reference: `${fmt(naive.latency.latency.p99, 2)} ms`,
        met: h.latency.latency.p99 <= naive.latency.latency.p99,
      });
    }
    checks.push({
      subscribers: n,
      target: 'no loss (5/s phase and peak)',
      herald: `${h.latency.lost} / ${h.peak.lost} lost, ${h.latency.duplicates + h.peak.duplicates} dup`,
      reference: '0',
      met: h.latency.lost === 0 && h.peak.lost === 0 && h.latency.duplicates + h.peak.duplicates === 0,
    });
    checks.push({
      subscribers: n,
      target: 'RSS per idle connection ≤ 8 KiB (judged after GC; settled shown too)',
      herald: `${kib(h.rss.perConnectionBytes)} · ${kib(h.rss.perConnectionGcBytes)} KiB`,
      reference: `8.0 KiB (naive ${naive?.rss ? `${kib(naive.rss.perConnectionBytes)} · ${kib(naive.rss.perConnectionGcBytes)}` : '–'})`,
      // The settled figure mostly reflects when V8 last collected (see gc.ts), so the retained
      // (after-GC) figure decides; it falls back to settled only if GC could not be forced.
      met: (Number.isNaN(h.rss.perConnectionGcBytes) ? h.rss.perConnectionBytes : h.rss.perConnectionGcBytes) <= 8192,
    });
    if (sio?.latency && sio.peak && sio.rss) {
      const behind: string[] = [];
      if (h.peak.deliveriesPerSec <= sio.peak.deliveriesPerSec) behind.push('peak deliveries/s');
      if (h.latency.latency.p50 > sio.latency.latency.p50) behind.push('p50');
      if (h.latency.latency.p99 > sio.latency.latency.p99) behind.push('p99');
      if (h.rss.perConnectionGcBytes > sio.rss.perConnectionGcBytes) behind.push('RSS/conn');
      if (h.latency.lost + h.peak.lost > sio.latency.lost + sio.peak.lost) behind.push('loss');
      checks.push({
        subscribers: n,
        target: 'ahead of Socket.IO on every figure',
        herald: behind.length ? `behind on: ${behind.join(', ')}` : 'ahead on all',
        reference: `socket.io peak ${fmt(sio.peak.deliveriesPerSec)}/s, p50 ${fmt(sio.latency.latency.p50, 2)} ms, p99 ${fmt(sio.latency.latency.p99, 2)} ms, ${kib(sio.rss.perConnectionBytes)} · ${kib(sio.rss.perConnectionGcBytes)} KiB/conn`,
        met: behind.length === 0,
      });
    }
  }
  return checks;
}

export function targetsMarkdown(checks: TargetCheck[]): string {
  if (checks.length === 0) return '_Herald was not measured in this run; no target can be checked._';
  const lines = ['| subscribers | target | Herald | reference | met |', '|---:|---|---:|---:|:---:|'];
  for (const c of checks) lines.push(`| ${fmt(c.subscribers)} | ${c.target} | ${c.herald} | ${c.reference} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}
