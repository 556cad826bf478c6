/**
 * @module delivery
 * `npm run bench:delivery`: what delta compression and conflation buy (issue 18).
 *
 * - delta: a ~2 KB JSON document changed a little by each publication, N subscribers; the same
 *   publications once with plain subscriptions and once with `delta: "fossil"`. Reported: bytes
 *   read from the sockets per delivery (WebSocket framing included), server CPU per delivery, and
 *   the publish→rebuilt-document latency of a sample of subscribers that apply every delta and
 *   check each document against what was published (mismatches are counted, never expected).
 * - conflation: N fast subscribers read everything while S slow ones stop reading (paused
 *   sockets whose buffers were first filled by a one-off burst on a channel only they have); keyed
 *   publications at a fixed rate. Reported: the fast subscribers' latency with no slow ones, with
 *   slow ones in a conflating namespace, and with slow ones in a normal namespace (where they are
 *   cut, 4008); then the slow ones resume and must end with the latest value of every key.
 *
 * Herald runs on core 0, this process (publisher and every subscriber) on core 1.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyDelta } from 'fossil-delta';
import { waitForQuiet } from './contention.js';
import { freePorts } from './harness.js';
import { HttpPublisher, LoadClient, KEYS } from './delivery-clients.js';
import { cpuBetween, sampleCpu } from './proc.js';
import { heraldRevision, machine } from './provenance.js';
import { ServerSide } from './server-side.js';
import { Histogram, type LatencySummary } from './stats/histogram.js';
import { HERALD_API_KEY, HERALD_BIN, REPO_ROOT, type LaunchSpec } from './targets.js';

const USAGE = `usage: npm run bench:delivery -- [options]
  --cases delta,conflation   what to measure
  --subscribers 1000         subscribers (delta) / fast subscribers (conflation)
  --slow 20                  conflation: slow subscribers beside them
  --rate 50                  publications per second
  --duration 5               measured seconds per cell
  --sample 20                delta: subscribers that rebuild and check every document
  --repeat 1                 measure every cell this many times; medians reported
  --no-pin                   do not pin with taskset
  --no-write                 do not write bench/results/delivery-<time>.json`;

const HOST = '127.0.0.1';
/** How long a cell waits for other work on the box to calm down before it measures anyway (the load is reported). */
const QUIET_WAIT_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The delta case's document: ~2 KB; version `v` moves one item's price and stock, and the time. */
export function documentText(v: number, sentUs: number): string {
  const items = Array.from({ length: 20 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: `Widget model ${i}`,
    price: i === v % 20 ? 100 + (v % 97) : 100 + i,
    stock: i === (v * 7) % 20 ? v % 50 : 20 + i,
    tags: ['blue', 'steel'],
  }));
  return JSON.stringify({ t: sentUs, version: v, store: 'main', currency: 'EUR', items });
}

function config(port: number, sendBufferBytes: number): string {
  return [
    `server: { host: ${HOST}, port: ${port} }`,
    `auth: { api_keys: [${HERALD_API_KEY}] }`,
    `limits: { max_connections: 20000, send_buffer_bytes: ${sendBufferBytes} }`,
    'log: { level: info }',
    // No history anywhere: delta compression and conflation need none.
    'namespaces: { doc: { history_size: 0 }, ticks: { history_size: 0, conflation: true }, plain: { history_size: 0 } }',
    '',
  ].join('\n');
}

async function startHerald(pin: boolean, sendBufferBytes: number): Promise<{ side: ServerSide; port: number; cleanup(): void }> {
  const [port] = await freePorts(1);
  const file = join(tmpdir(), `herald-delivery-bench-${process.pid}-${port}.yaml`);
  writeFileSync(file, config(port!, sendBufferBytes));
  const spec: LaunchSpec = {
    processes: [{ args: [HERALD_BIN, 'serve', '--config', file, '--workers', '1'], port: port! }],
    protocol: 'herald',
    listeners: 1,
    withChildren: false,
    publish: { host: HOST, port: port!, path: '/api/publish', headers: {} },
    sharedPids: [],
    cleanup: () => rmSync(file, { force: true }),
  };
  const side = new ServerSide(spec, HOST, pin ? '0' : null);
  await side.ready(30_000);
  return { side, port: port!, cleanup: spec.cleanup };
}

async function connectAll(port: number, count: number, subscribe: (c: LoadClient, i: number) => Promise<void>): Promise<LoadClient[]> {
  const clients: LoadClient[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => new LoadClient(HOST, port, i + j));
    await Promise.all(batch.map((c) => c.ready));
    await Promise.all(batch.map((c, j) => subscribe(c, i + j)));
    clients.push(...batch);
  }
  return clients;
}

/** Publish `make(seq)` at `rate` per second for `seconds`, each awaited before the next is due. */
async function publishAt(pub: HttpPublisher, rate: number, seconds: number, make: (seq: number) => string): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  for (let seq = 1; seq <= total; seq++) {
    const due = start + ((seq - 1) * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const status = await pub.publish(make(seq));
    if (status !== 200) throw new Error(`publish ${seq} answered ${status}`);
  }
  return total;
}

interface DeltaCell {
  delta: boolean;
  subscribers: number;
  publications: number;
  deliveries: number;
  /** Seconds the paced publishing took (its target: publications ÷ rate), and the whole measured window (until the last delivery). */
  publishSeconds: number;
  seconds: number;
  bytesPerDelivery: number;
  dataBytes: number;
  serverCpuPct: number;
  serverCpuUsPerDelivery: number;
  generatorCpuPct: number;
  foreignPct: number;
  sampleLatency: LatencySummary;
  mismatches: number;
}

async function deltaCell(opts: Options, delta: boolean): Promise<DeltaCell> {
  const { side, port, cleanup } = await startHerald(opts.pin, 1_048_576);
  const clients: LoadClient[] = [];
  try {
    const channel = `doc:bench${process.pid}`;
    const sent: string[] = [];
    const hist = new Histogram();
    let mismatches = 0;
    clients.push(
      ...(await connectAll(port, opts.subscribers, async (c, i) => {
        const checking = i < opts.sample;
        let base: Uint8Array | undefined;
        if (checking) {
          c.onMessage = (text, nowMs) => {
            const frame = JSON.parse(text) as { offset: number; delta?: true; data: unknown };
            let data: string;
            if (frame.delta) {
              base = applyDelta(base!, Uint8Array.from(frame.data as string, (ch) => ch.charCodeAt(0)));
              data = Buffer.from(base).toString('utf8');
            } else {
              data = text.slice(text.indexOf(',"data":') + 8, -1);
              base = Buffer.from(data);
            }
            if (data !== sent[frame.offset]) mismatches++;
            hist.record(nowMs * 1000 - (JSON.parse(data) as { t: number }).t);
          };
        }
        await c.subscribe(channel, delta ? { delta: 'fossil' } : {});
      })),
    );
    if (!(await waitForQuiet(30, QUIET_WAIT_MS, console.log))) console.log('  cores still busy: measuring anyway (see other load)');
    const pub = new HttpPublisher(HOST, port);
    const bytes0 = clients.reduce((n, c) => n + c.bytesRead, 0);
    const pids = [...side.pids, process.pid];
    const a = sampleCpu(pids);
    const publishStart = performance.now();
    const publications = await publishAt(pub, opts.rate, opts.durationS, (seq) => {
      const text = documentText(seq, Math.round((performance.timeOrigin + performance.now()) * 1000));
      sent[seq] = text;
      return `{"channel":"${channel}","data":${text}}`;
    });
    const publishSeconds = (performance.now() - publishStart) / 1000;
    const expected = publications * clients.length;
    const by = performance.now() + 10_000;
    while (clients.reduce((n, c) => n + c.messages, 0) < expected && performance.now() < by) await sleep(20);
    const b = sampleCpu(pids);
    pub.close();
    const deliveries = clients.reduce((n, c) => n + c.messages, 0);
    const cpu = cpuBetween(a, b);
    const serverCpu = cpu.procs[0]! / 100;
    const bytes = clients.reduce((n, c) => n + c.bytesRead, 0) - bytes0;
    return {
      delta,
      subscribers: clients.length,
      publications,
      deliveries,
      publishSeconds: Math.round(publishSeconds * 100) / 100,
      seconds: Math.round(cpu.seconds * 100) / 100,
      bytesPerDelivery: Math.round(bytes / deliveries),
      dataBytes: Math.round(sent.slice(1).reduce((n, t) => n + Buffer.byteLength(t), 0) / publications),
      serverCpuPct: cpu.procs[0]!,
      serverCpuUsPerDelivery: Math.round(((serverCpu * cpu.seconds) / deliveries) * 1e6 * 100) / 100,
      generatorCpuPct: cpu.procs[1]!,
      foreignPct: Math.round(Math.max(0, (cpu.cores[0] ?? 0) - cpu.procs[0]!, (cpu.cores[1] ?? 0) - cpu.procs[1]!) * 10) / 10,
      sampleLatency: hist.summary(),
      mismatches,
    };
  } finally {
    for (const c of clients) c.close();
    await side.stop();
    cleanup();
  }
}

type SlowMode = 'none' | 'conflating' | 'normal';

interface ConflationCell {
  slowMode: SlowMode;
  fast: number;
  slow: number;
  publications: number;
  fastLatency: LatencySummary;
  fastMissing: number;
  /** Slow subscribers still connected once they read again, and those that were cut (4008). */
  slowConnected: number;
  slowCut: number;
  /** Conflating only: slow subscribers that ended with every key's latest value after resuming. */
  slowCaughtUp: number;
  /** Deliveries the slow subscribers got, against publications × slow. */
  slowMessages: number;
  serverCpuPct: number;
  generatorCpuPct: number;
  foreignPct: number;
}

async function conflationCell(opts: Options, slowMode: SlowMode): Promise<ConflationCell> {
  // A small send buffer so a stopped reader is behind within the run rather than after minutes of kernel buffering.
  const { side, port, cleanup } = await startHerald(opts.pin, 256 * 1024);
  const fast: LoadClient[] = [];
  const slow: LoadClient[] = [];
  try {
    const ns = slowMode === 'normal' ? 'plain' : 'ticks';
    const channel = `${ns}:bench${process.pid}`;
    const hist = new Histogram();
    let seen = 0;
    fast.push(
      ...(await connectAll(port, opts.subscribers, async (c) => {
        c.onMessage = (text, nowMs) => {
          seen++;
          hist.record(nowMs * 1000 - Number(/"t":(\d+)/.exec(text)![1]));
        };
        await c.subscribe(channel, {});
      })),
    );
    const slowCount = slowMode === 'none' ? 0 : opts.slow;
    const latest = new Map<string, number>();
    if (slowCount > 0) {
      slow.push(...(await connectAll(port, slowCount, (c) => c.subscribe(channel, {}).then(() => c.subscribe(`${ns}:fill${process.pid}`, {})))));
      for (const c of slow) {
        c.keepLatest = true;
        c.pause();
      }
      // Fill the slow ones' socket buffers with a burst only they receive (one key: conflated too).
      const pub = new HttpPublisher(HOST, port);
      const big = 'x'.repeat(60 * 1024);
      for (let i = 0; i < 200; i++) await pub.publish(`{"channel":"${ns}:fill${process.pid}","key":"fill","data":{"i":${i},"pad":"${big}"}}`);
      pub.close();
    }
    if (!(await waitForQuiet(30, QUIET_WAIT_MS, console.log))) console.log('  cores still busy: measuring anyway (see other load)');
    const pub = new HttpPublisher(HOST, port);
    const pids = [...side.pids, process.pid];
    const a = sampleCpu(pids);
    const pad = 'y'.repeat(900);
    const publications = await publishAt(pub, opts.rate, opts.durationS, (seq) => {
      const key = KEYS[seq % KEYS.length]!;
      latest.set(key, seq);
      return `{"channel":"${channel}","key":"${key}","data":{"t":${Math.round((performance.timeOrigin + performance.now()) * 1000)},"seq":${seq},"pad":"${pad}"}}`;
    });
    const by = performance.now() + 10_000;
    while (seen < publications * fast.length && performance.now() < by) await sleep(20);
    const b = sampleCpu(pids);
    pub.close();
    const cpu = cpuBetween(a, b);
    for (const c of slow) c.resume();
    const caughtUp = (c: LoadClient) => [...latest].every(([key, seq]) => c.latest.get(key) === seq);
    if (slowMode === 'conflating') {
      const until = performance.now() + 30_000;
      while (!slow.every(caughtUp) && performance.now() < until) await sleep(50);
    } else await sleep(1000);
    // Read after resuming: a paused reader cannot have seen its close frame yet.
    const slowConnected = slow.filter((c) => c.open).length;
    return {
      slowMode,
      fast: fast.length,
      slow: slowCount,
      publications,
      fastLatency: hist.summary(),
      fastMissing: publications * fast.length - seen,
      slowConnected,
      slowCut: slow.filter((c) => c.closeCode === 4008).length,
      slowCaughtUp: slowMode === 'conflating' ? slow.filter(caughtUp).length : 0,
      slowMessages: slow.reduce((n, c) => n + c.keyedMessages, 0),
      serverCpuPct: cpu.procs[0]!,
      generatorCpuPct: cpu.procs[1]!,
      foreignPct: Math.round(Math.max(0, (cpu.cores[0] ?? 0) - cpu.procs[0]!, (cpu.cores[1] ?? 0) - cpu.procs[1]!) * 10) / 10,
    };
  } finally {
    for (const c of [...fast, ...slow]) c.close();
    await side.stop();
    cleanup();
  }
}

interface Options {
  subscribers: number;
  slow: number;
  rate: number;
  durationS: number;
  sample: number;
  pin: boolean;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
const range = (xs: number[]): string => (xs.length > 1 ? ` (${Math.min(...xs)}–${Math.max(...xs)})` : '');
const fmt = (xs: number[]): string => `${median(xs)}${range(xs)}`;

function deltaTable(cells: DeltaCell[]): string {
  const rows = [false, true].map((on) => {
    const c = cells.filter((x) => x.delta === on);
    const pick = (f: (x: DeltaCell) => number) => fmt(c.map(f));
    return `| ${on ? 'on' : 'off'} | ${c[0]!.subscribers} | ${c[0]!.publications} | ${pick((x) => x.deliveries)} | ${pick((x) => x.publishSeconds)} | ${pick((x) => x.seconds)} | ${c[0]!.dataBytes} | ${pick((x) => x.bytesPerDelivery)} | ${pick((x) => x.serverCpuUsPerDelivery)} | ${pick((x) => x.serverCpuPct)} | ${pick((x) => x.sampleLatency.p50)} | ${pick((x) => x.sampleLatency.p99)} | ${c.reduce((n, x) => n + x.mismatches, 0)} | ${pick((x) => x.generatorCpuPct)} | ${Math.max(...c.map((x) => x.foreignPct))} |`;
  });
  const off = median(cells.filter((x) => !x.delta).map((x) => x.bytesPerDelivery));
  const on = median(cells.filter((x) => x.delta).map((x) => x.bytesPerDelivery));
  return [
    '| delta | subscribers | publications | deliveries | publishing s | window s | data B | wire B/delivery | server CPU µs/delivery | server CPU % | sample p50 ms | sample p99 ms | mismatches | generator CPU % | other load % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Bytes on the wire per delivery with delta on: ${on} vs ${off} off, a ${(100 * (1 - on / off)).toFixed(1)} % reduction.`,
  ].join('\n');
}

function conflationTable(cells: ConflationCell[]): string {
  const modes: SlowMode[] = ['none', 'conflating', 'normal'];
  return [
    '| slow subscribers | fast | slow | publications | fast p50 ms | fast p99 ms | fast max ms | fast missing | slow still connected | slow cut (4008) | slow caught up (latest per key) | slow deliveries | server CPU % | generator CPU % | other load % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...modes
      .filter((m) => cells.some((c) => c.slowMode === m))
      .map((m) => {
        const c = cells.filter((x) => x.slowMode === m);
        const pick = (f: (x: ConflationCell) => number) => fmt(c.map(f));
        return `| ${m} | ${c[0]!.fast} | ${c[0]!.slow} | ${c[0]!.publications} | ${pick((x) => x.fastLatency.p50)} | ${pick((x) => x.fastLatency.p99)} | ${pick((x) => x.fastLatency.max)} | ${c.reduce((n, x) => n + x.fastMissing, 0)} | ${pick((x) => x.slowConnected)} | ${pick((x) => x.slowCut)} | ${m === 'conflating' ? pick((x) => x.slowCaughtUp) : '–'} | ${pick((x) => x.slowMessages)} | ${pick((x) => x.serverCpuPct)} | ${pick((x) => x.generatorCpuPct)} | ${Math.max(...c.map((x) => x.foreignPct))} |`;
      }),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'delta,conflation' },
      subscribers: { type: 'string', default: '1000' },
      slow: { type: 'string', default: '20' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '5' },
      sample: { type: 'string', default: '20' },
      repeat: { type: 'string', default: '1' },
      'no-pin': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const opts: Options = {
    subscribers: Number(values.subscribers),
    slow: Number(values.slow),
    rate: Number(values.rate),
    durationS: Number(values.duration),
    sample: Number(values.sample),
    pin: !values['no-pin'],
  };
  if (opts.pin) execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const cases = values.cases.split(',');
  const started = new Date();
  const deltas: DeltaCell[] = [];
  const conflations: ConflationCell[] = [];
  for (let rep = 1; rep <= Number(values.repeat); rep++) {
    if (cases.includes('delta')) {
      for (const on of [false, true]) {
        const cell = await deltaCell(opts, on);
        deltas.push(cell);
        console.log(`delta ${on ? 'on' : 'off'}: ${cell.bytesPerDelivery} B/delivery, ${cell.serverCpuUsPerDelivery} µs server CPU/delivery, ${cell.deliveries} deliveries, sample p99 ${cell.sampleLatency.p99} ms, ${cell.mismatches} mismatches, other load ${cell.foreignPct}%`);
      }
    }
    if (cases.includes('conflation')) {
      for (const mode of ['none', 'conflating', 'normal'] as const) {
        const cell = await conflationCell(opts, mode);
        conflations.push(cell);
        console.log(`conflation, slow ${mode}: fast p50 ${cell.fastLatency.p50} p99 ${cell.fastLatency.p99} max ${cell.fastLatency.max} ms, fast missing ${cell.fastMissing}, slow connected ${cell.slowConnected}/${cell.slow}, cut ${cell.slowCut}, caught up ${cell.slowCaughtUp}, other load ${cell.foreignPct}%`);
      }
    }
  }
  const head = `${started.toISOString()}, Herald ${heraldRevision()}; ${opts.rate} publications/s for ${opts.durationS} s per cell${Number(values.repeat) > 1 ? `, ${values.repeat} runs: median (min–max)` : ''}.`;
  const tables = [head, '', ...(deltas.length ? [deltaTable(deltas), ''] : []), ...(conflations.length ? [conflationTable(conflations)] : [])].join('\n');
  console.log(`\n${tables}`);
  if (!values['no-write']) {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `delivery-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ started: started.toISOString(), machine: machine(), herald: heraldRevision(), options: opts, deltas, conflations, tables }, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
