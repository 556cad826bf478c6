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

// ---- steady load ---------------------------------------------------------------------------

const mib = (bytes: number | undefined): string => (bytes === undefined || Number.isNaN(bytes) ? '–' : fmt(bytes / 1048576, 1));
const ms = (n: number | undefined): string => fmt(n, n !== undefined && n < 10 ? 2 : 1);

const STEADY_HEADER = [
  'server',
  'subscribers',
  'rate/s × s',
  'deliveries',
  'lost (dup)',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'p99.9 ÷ p99',
  'POST p99 · max ms',
  'server RSS MiB min–max',
  'server heap used MiB min–max (swing)',
  'server GC: scavenges n · ms total · max',
  'server GC: mark-compact n · ms total · max',
  'server CPU %',
  'generator CPU %',
  'generator heap swing MiB · GC ms total · max pause',
  'other load on cores %',
];

function steadyRow(r: RunResult): string[] | undefined {
  const s = r.steady;
  if (!s?.steady) return undefined;
  const d = s.steady;
  const srv = r.steadyServer;
  const g = d.generator;
  const minor = srv?.gc.byKind.minor;
  const major = srv?.gc.byKind.major;
  return [
    r.server,
    fmt(r.subscribers),
    `${fmt(s.published / (d.endEpochMs - d.startEpochMs) * 1000, 1)} × ${fmt((d.endEpochMs - d.startEpochMs) / 1000, 0)}`,
    fmt(s.received),
    loss(s),
    ms(s.latency.p50),
    ms(s.latency.p99),
    ms(s.latency.p999),
    ms(s.latency.max),
    s.latency.p99 > 0 ? `${(s.latency.p999 / s.latency.p99).toFixed(2)}` : '–',
    `${ms(d.post.p99)} · ${ms(d.post.max)}`,
    srv ? `${mib(srv.rssBytes.min)}–${mib(srv.rssBytes.max)}` : '–',
    srv ? `${mib(srv.heapUsedBytes.min)}–${mib(srv.heapUsedBytes.max)} (${mib(srv.heapUsedBytes.max - srv.heapUsedBytes.min)})` : '–',
    minor ? `${fmt(minor.count)} · ${fmt(minor.totalMs, 0)} · ${ms(minor.maxMs)}` : '–',
    major ? `${fmt(major.count)} · ${fmt(major.totalMs, 0)} · ${ms(major.maxMs)}` : '–',
    `${pct(s, 0)}${s.cpu.serverParts && r.serverProcs ? ` (${s.cpu.serverParts.map((v, i) => `${r.serverProcs![i]} ${fmt(v, 0)}`).join(' + ')})` : ''}`,
    pct(s, 1),
    `${mib(g.heapUsedBytes.max - g.heapUsedBytes.min)} · ${fmt(g.gc.totalMs, 0)} · ${ms(g.gc.maxMs)}`,
    r.foreignLoadPct === undefined ? '–' : fmt(r.foreignLoadPct, 0),
  ];
}

const WINDOW_HEADER = ['window s', 'deliveries', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'server heap MiB min–max', 'server GC n · ms · max', 'generator GC n · ms · max'];

/** The steady phase per window of publish time: does the tail move with the server's (or the generator's) collections? */
function windowRows(r: RunResult): string[][] {
  const d = r.steady?.steady;
  if (!d) return [];
  return d.windows.map((w, i) => {
    const srv = r.steadyServer?.windows[i];
    const g = d.generator.gcWindows[i];
    const from = i * d.windowS;
    return [
      `${from}–${Math.min(from + d.windowS, Math.round((d.endEpochMs - d.startEpochMs) / 1000))}`,
      fmt(w.count),
      ms(w.p50),
      ms(w.p99),
      ms(w.p999),
      ms(w.max),
      srv ? `${mib(srv.heapUsedBytes.min)}–${mib(srv.heapUsedBytes.max)}` : '–',
      srv ? `${fmt(srv.gc.count)} · ${fmt(srv.gc.totalMs, 0)} · ${ms(srv.gc.maxMs)}` : '–',
      g ? `${fmt(g.count)} · ${fmt(g.totalMs, 0)} · ${ms(g.maxMs)}` : '–',
    ];
  });
}

function mdTable(header: string[], rows: string[][], leftCols: number): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < leftCols ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function txtTable(header: string[], rows: string[][], leftCols: number): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Steady-load results (markdown, or fixed-width text for the terminal); '' when no run had the phase. */
export function steadyTables(results: RunResult[], markdown: boolean): string {
  const rows = results.map(steadyRow).filter((r): r is string[] => !!r);
  if (rows.length === 0) return '';
  const table = markdown ? mdTable : txtTable;
  const parts = [table(STEADY_HEADER, rows, 2)];
  for (const r of results) {
    const w = windowRows(r);
    if (w.length === 0) continue;
    parts.push(`${markdown ? '**' : ''}${r.server}, ${fmt(r.subscribers)} subscribers, per window of publish time${markdown ? '**' : ''}\n\n${table(WINDOW_HEADER, w, 1)}`);
  }
  return parts.join('\n\n');
}

/** Issue 18's steady-load target, per Herald run that had the phase. */
export function checkSteady(results: RunResult[]): TargetCheck[] {
  return results
    .filter((r) => isHeraldName(r.server) && r.steady)
    .map((r) => {
      const s = r.steady!;
      return {
        subscribers: r.subscribers,
        target: `steady ${r.server}: p99.9 ≤ 2× p99, no loss`,
        herald: `p99 ${ms(s.latency.p99)} ms, p99.9 ${ms(s.latency.p999)} ms (${(s.latency.p999 / s.latency.p99).toFixed(2)}×), lost ${fmt(s.lost)}, dup ${fmt(s.duplicates)}`,
        reference: '2.00×',
        met: s.latency.p999 <= 2 * s.latency.p99 && s.lost === 0 && s.duplicates === 0,
      };
    });
}

const isHeraldName = (name: string): boolean => name.startsWith('herald');
