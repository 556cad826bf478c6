/**
 * @module run
 * `npm run bench` entry point: parse flags, run every server × size, print the table, and
 * write the raw results (JSON) and the markdown tables under bench/results/.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, runMeasured, type BenchOptions, type PhaseName, type RunResult } from './harness.js';
import { aggregate } from './aggregate.js';
import { heraldRevision, machine } from './provenance.js';
import { checkSteady, checkTargets, markdownTable, steadyTables, targetsMarkdown, textTable } from './report.js';
import { DEFAULT_SERVERS, HERALD_BIN, REPO_ROOT, SERVER_NAMES, isHerald, type ServerName } from './targets.js';

const USAGE = `usage: npm run bench -- [options]
  --servers herald,naive,socketio   servers to measure (default: these three). Other Herald targets:
                                    herald-sse (its SSE endpoint), herald-redis (one node, Redis
                                    engine), herald-redis-2n (two nodes sharing Redis),
                                    herald-workers-2 (serve --workers 2, memory engine),
                                    herald-delay0 (write_delay_ms 0: a flush every turn)
                                    herald-pusher (the Pusher protocol: pusher-js's frames on /app/{key})
  --sizes 1000,10000                subscriber counts (default: 1000,10000)
  --duration 5                      seconds of the peak phase
  --latency-duration 10             seconds of the latency phase
  --warmup 2                        seconds of unmeasured broadcasts first (0 = none)
  --rate 5                          broadcasts/s in the latency phase
  --publishers 4                    concurrent keep-alive publishers in the peak phase
  --window 0                        peak: cap on publications not yet delivered everywhere (0 = none)
  --payload 100                     bytes of published data JSON
  --phases latency,peak             phases to run (RSS is always measured); \`steady\` adds the
                                    steady-load phase: a fixed rate for minutes, with p99.9/max,
                                    latency per window, and the server's RSS, heap and GC pauses
  --steady-rate 20                  steady: broadcasts/s
  --steady-duration 300             steady: seconds
  --steady-window 30                steady: seconds per window of the breakdown
  --sample-ms 250                   steady: how often the server's RSS and heap are sampled
  --no-pin                          do not pin server/generator with taskset
  --retries 2                       repeat a run disturbed by other load on its cores
  --repeat 1                        measure every cell this many times (interleaved); report medians
  --out bench/results               where to write results (--no-write to skip)
environment: BENCH_HERALD_BIN=<path> starts another Herald build (default packages/server/dist/bin/herald.js)
             BENCH_REDIS_URL=<url> Redis of the Redis targets (default redis://127.0.0.1:6379)`;

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: DEFAULT_SERVERS.join(',') },
      sizes: { type: 'string', default: '1000,10000' },
      duration: { type: 'string', default: String(DEFAULTS.durationS) },
      'latency-duration': { type: 'string', default: String(DEFAULTS.latencyDurationS) },
      warmup: { type: 'string', default: String(DEFAULTS.warmupS) },
      rate: { type: 'string', default: String(DEFAULTS.rate) },
      publishers: { type: 'string', default: String(DEFAULTS.publishers) },
      window: { type: 'string', default: String(DEFAULTS.window) },
      payload: { type: 'string', default: String(DEFAULTS.payloadBytes) },
      phases: { type: 'string', default: DEFAULTS.phases.join(',') },
      'steady-rate': { type: 'string', default: String(DEFAULTS.steadyRate) },
      'steady-duration': { type: 'string', default: String(DEFAULTS.steadyDurationS) },
      'steady-window': { type: 'string', default: String(DEFAULTS.steadyWindowS) },
      'sample-ms': { type: 'string', default: String(DEFAULTS.sampleMs) },
      'no-pin': { type: 'boolean', default: false },
      retries: { type: 'string', default: String(DEFAULTS.retries) },
      repeat: { type: 'string', default: '1' },
      out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results') },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const servers = list(values.servers) as ServerName[];
  for (const s of servers) if (!SERVER_NAMES.includes(s)) throw new Error(`unknown server ${s}\n${USAGE}`);
  const sizes = list(values.sizes).map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --sizes\n${USAGE}`);
  const opts: BenchOptions = {
    ...DEFAULTS,
    durationS: Number(values.duration),
    latencyDurationS: Number(values['latency-duration']),
    warmupS: Number(values.warmup),
    rate: Number(values.rate),
    publishers: Number(values.publishers),
    window: Number(values.window),
    payloadBytes: Number(values.payload),
    phases: list(values.phases) as PhaseName[],
    steadyRate: Number(values['steady-rate']),
    steadyDurationS: Number(values['steady-duration']),
    steadyWindowS: Number(values['steady-window']),
    sampleMs: Number(values['sample-ms']),
    pin: !values['no-pin'],
    retries: Number(values.retries),
    log: (line) => console.log(line),
  };
  if (servers.some(isHerald) && !existsSync(HERALD_BIN)) {
    throw new Error(`Herald is not built (${HERALD_BIN}); run \`npm run build\` at the repo root, or pass --servers naive,socketio`);
  }

  if (opts.pin) {
    // The harness itself idles during phases, but keep even that off the server's core.
    try {
      execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
    } catch {
      console.warn('taskset not available: server and generator will not be pinned');
    }
  }
  const started = new Date();
  const repeat = Math.max(1, Number(values.repeat));
  const runs = new Map<string, RunResult[]>();
  // Repeats are interleaved (all cells, then all cells again) so drift in the machine's state
  // over the run affects every server alike.
  for (let rep = 1; rep <= repeat; rep++) {
    for (const n of sizes) {
      for (const server of servers) {
        console.log(`${server} with ${n.toLocaleString('en-US')} subscribers${repeat > 1 ? ` (run ${rep}/${repeat})` : ''}`);
        const key = `${server}/${n}`;
        runs.set(key, [...(runs.get(key) ?? []), await runMeasured(server, n, opts)]);
      }
    }
  }
  const results: RunResult[] = [];
  for (const n of sizes) for (const server of servers) results.push(repeat > 1 ? aggregate(runs.get(`${server}/${n}`)!) : runs.get(`${server}/${n}`)![0]!);

  const checks = [...checkTargets(results), ...checkSteady(results)];
  console.log(`\n${textTable(results)}\n`);
  const steadyText = steadyTables(results, false);
  if (steadyText) console.log(`Steady load\n\n${steadyText}\n`);
  for (const c of checks) console.log(`${c.met ? 'MET   ' : 'MISSED'} n=${c.subscribers} ${c.target}: herald ${c.herald} vs ${c.reference}`);

  if (!values['no-write']) {
    mkdirSync(values.out, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const { log: _log, ...options } = opts;
    const doc = { started: started.toISOString(), machine: machine(), herald: heraldRevision(), heraldBin: HERALD_BIN, options: { ...options, repeat }, results, targets: checks };
    const m = machine();
    const steadyMd = steadyTables(results, true);
    const md =
      `Run ${started.toISOString()} on ${m.cpus} × ${m.cpuModel} @ ${m.cpuMHz} MHz, Node ${m.node}, Linux ${m.kernel}; ` +
      `Herald ${doc.herald}. Peak: ${opts.publishers} publishers, window ${opts.window || 'none'}, ${opts.durationS} s; ` +
      `latency: ${opts.rate}/s for ${opts.latencyDurationS} s; ` +
      `${opts.phases.includes('steady') ? `steady: ${opts.steadyRate}/s for ${opts.steadyDurationS} s (windows of ${opts.steadyWindowS} s, server sampled every ${opts.sampleMs} ms); ` : ''}` +
      `payload ${opts.payloadBytes} B` +
      `${repeat > 1 ? `; every cell measured ${repeat} times, medians shown with (min–max)` : ''}.\n\n` +
      `${markdownTable(results)}\n\n${steadyMd ? `${steadyMd}\n\n` : ''}${targetsMarkdown(checks)}\n`;
    writeFileSync(join(values.out, `${stamp}.json`), JSON.stringify(doc, null, 2) + '\n');
    writeFileSync(join(values.out, 'latest.json'), JSON.stringify(doc, null, 2) + '\n');
    writeFileSync(join(values.out, 'latest.md'), md);
    console.log(`\nwrote ${join(values.out, `${stamp}.json`)}, latest.json and latest.md`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
