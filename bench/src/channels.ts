/**
 * @module channels
 * `npm run bench:channels`: the per-user-channel workload (notifications: many channels, one
 * subscriber each), where every publish costs the whole publish path and fans out to one socket.
 * Two cases, each in a fresh Herald process alone on core 0, this process on core 1:
 *
 * - `publish`: the publish path alone. No subscriber; autocannon keeps `--connections` keep-alive
 *   connections busy with API-key `POST /api/publish`es, spread over `--channels` channels.
 * - `batch`: the same with `POST /api/publish/batch`, `--batch` publications per request (one
 *   result per publication is checked after the run; a request counts its publications).
 * - `floor`: the naive `ws` server's `POST /publish` with no client: Node's HTTP server, one
 *   JSON.parse and a fixed answer. No Node publish endpoint does less, so it is the floor the
 *   publish path is compared with on the same core.
 * - `channels-batch` (on request): the `channels` case published through batches.
 * - `channels`: `--channels` subscribers (raw WebSocket clients), one per channel, and the same
 *   closed-loop publishers, each publish to the next channel in turn. Every delivery's
 *   publish→deliver latency is recorded; loss is accepted publishes not delivered.
 *
 * Publishes per core = publishes/s ÷ the server's share of its core, beside the raw rate, so a
 * saturated generator (autocannon shares core 1 with the subscribers) is visible, not hidden.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Subscriber, type DeliverySink } from './client/subscriber.js';
import { waitForQuiet } from './contention.js';
import { freePorts } from './harness.js';
import { cpuBetween, sampleCpu } from './proc.js';
import { heraldRevision, machine } from './provenance.js';
import { ServerSide } from './server-side.js';
import { Histogram, type LatencySummary } from './stats/histogram.js';
import { HERALD_API_KEY, HERALD_BIN, launchSpec, REPO_ROOT } from './targets.js';

const USAGE = `usage: npm run bench:channels -- [options]
  --cases publish,batch,floor,channels
                             publish: the publish path alone (no subscribers); batch: the same
                             through POST /api/publish/batch; floor: bare node:http (the naive
                             server's /publish, no clients); channels: one subscriber on each
                             of --channels channels; channels-batch: the same, published in
                             batches (not in the default set)
  --batch 20                 publications per batch request
  --channels 10000           channels (and subscribers, one each, in the channels case)
  --connections 32           keep-alive publish connections (autocannon), each one request at a time
  --duration 5               measured seconds per run (after --warmup 2)
  --repeat 3                 runs per case (interleaved, fresh server each); medians reported
  --builds a=<herald.js>,b=<herald.js>
                             Herald builds to compare, back to back within each repetition
                             (default: this checkout's build)
  --no-pin                   do not pin with taskset
  --no-write                 do not write bench/results/channels-<time>.json
environment: BENCH_HERALD_BIN=<path> another Herald build`;

const HOST = '127.0.0.1';
type Case = 'publish' | 'batch' | 'floor' | 'channels' | 'channels-batch';
/** The cases with one subscriber per channel. */
const subscribed = (kind: Case): boolean => kind === 'channels' || kind === 'channels-batch';
const batched = (kind: Case): boolean => kind === 'batch' || kind === 'channels-batch';

interface Run {
  case: Case;
  /** The Herald build's label (`node:http` for the floor). */
  build: string;
  channels: number;
  /** Publications per request. */
  batch: number;
  seconds: number;
  accepted: number;
  non2xx: number;
  errors: number;
  publishesPerSec: number;
  /** Percent of one core over the measured window. */
  serverCpu: number;
  generatorCpu: number;
  /** publishesPerSec ÷ serverCpu share: what one fully busy core would take at this cost per publish. */
  perCore: number;
  /** autocannon's request latency (HTTP answer), ms. */
  ackP50: number;
  ackP99: number;
  /** channels case: publish→deliver latency over every delivery, ms. */
  delivery?: LatencySummary;
  delivered?: number;
  /** Accepted (2xx) publications never delivered. */
  lost?: number;
  duplicates?: number;
  cores: number[];
  foreign: number;
}

/** Counts deliveries to one-channel subscribers: each publication has exactly one recipient. */
class Deliveries implements DeliverySink {
  hist = new Histogram();
  seen = new Uint8Array(0);
  base = 0;
  received = 0;
  duplicates = 0;
  begin(base: number, max: number): void {
    this.hist = new Histogram();
    this.seen = new Uint8Array(max);
    this.base = base;
    this.received = 0;
    this.duplicates = 0;
  }
  deliver(_sub: number, seq: number, sentUs: number, nowMs: number): void {
    const i = seq - this.base;
    if (i < 0 || i >= this.seen.length) return;
    if (this.seen[i]) {
      this.duplicates++;
      return;
    }
    this.seen[i] = 1;
    this.received++;
    this.hist.record(nowMs * 1000 - sentUs);
  }
  malformed(): void {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** Closed-loop publishes for `seconds`; `body(seq)` makes each request's body. */
function cannon(port: number, path: string, connections: number, seconds: number, body: (seq: number) => string, firstSeq: number): Promise<autocannon.Result> {
  let seq = firstSeq;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://${HOST}:${port}`,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path,
            headers: { authorization: `Bearer ${HERALD_API_KEY}`, 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: body(seq++) }),
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function connectSubscribers(port: number, count: number, sink: Deliveries): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  let ready = 0;
  let failed = 0;
  let firstError = '';
  let opened = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 120_000);
    const settle = () => {
      if (ready + failed >= count) {
        clearTimeout(timer);
        resolve();
      } else if (opened < count) open();
    };
    const open = () => {
      const i = opened++;
      subs.push(
        new Subscriber(i, 'herald', HOST, port, sink, {
          ready: () => (ready++, settle()),
          failed: (_s, reason) => (failed++, (firstError ||= reason), settle()),
          closed: () => {},
        }, channelName(i)),
      );
    };
    for (let i = 0; i < Math.min(256, count); i++) open();
  });
  if (ready < count) throw new Error(`only ${ready} of ${count} subscribers ready (${failed} failed: ${firstError})`);
  return subs;
}

const channelName = (i: number) => `u${i}`;

/** Every publication of one batch request got a position (a 200 alone would not say so). */
async function checkBatch(port: number, bodyText: string, size: number): Promise<void> {
  const res = await fetch(`http://${HOST}:${port}/api/publish/batch`, { method: 'POST', headers: { authorization: `Bearer ${HERALD_API_KEY}`, 'content-type': 'application/json' }, body: bodyText });
  const json = (await res.json()) as { results?: Array<{ offset?: number }> };
  const ok = json.results?.filter((r) => typeof r.offset === 'number').length ?? 0;
  if (res.status !== 200 || ok !== size) throw new Error(`batch check: status ${res.status}, ${ok} of ${size} published: ${JSON.stringify(json).slice(0, 300)}`);
}

interface Build {
  label: string;
  bin: string;
}

async function measure(kind: Case, build: Build, channels: number, opts: { connections: number; warmupS: number; durationS: number; pin: boolean; batch: number }): Promise<Run> {
  const ports = await freePorts(1);
  const spec = launchSpec(kind === 'floor' ? 'naive' : 'herald', HOST, ports, subscribed(kind) ? channels : 0);
  if (kind !== 'floor') for (const p of spec.processes) p.args[0] = build.bin;
  const side = new ServerSide(spec, HOST, opts.pin ? '0' : null);
  const sink = new Deliveries();
  let subs: Subscriber[] = [];
  try {
    await side.ready(30_000);
    const port = ports[0]!;
    if (subscribed(kind)) subs = await connectSubscribers(port, channels, sink);
    const pad = 'x'.repeat(40);
    const size = batched(kind) ? opts.batch : 1;
    const item = (n: number) => `{"channel":"${channelName(n % channels)}","data":{"n":${n},"p":"${pad}"}}`;
    // Delivered publications carry their number and publish time (µs) for the subscribers' scan.
    const timed = (n: number, t: number) => `{"channel":"${channelName(n % channels)}","data":{"bs":${n},"bt":${t},"p":"${pad}"}}`;
    const bodies: Record<Case, (seq: number) => string> = {
      publish: item,
      floor: item,
      batch: (seq) => `{"publications":[${Array.from({ length: size }, (_, i) => item(seq * size + i)).join(',')}]}`,
      channels: (seq) => timed(seq, nowUs()),
      'channels-batch': (seq) => {
        const t = nowUs();
        return `{"publications":[${Array.from({ length: size }, (_, i) => timed(seq * size + i, t)).join(',')}]}`;
      },
    };
    const body = bodies[kind];
    const path = batched(kind) ? '/api/publish/batch' : kind === 'floor' ? '/publish' : '/api/publish';
    await cannon(port, path, opts.connections, opts.warmupS, body, 0);
    if (!(await waitForQuiet(30, 20_000, console.log))) console.log('  cores still busy: measuring anyway (see "other load")');
    const firstSeq = 1_000_000_000;
    sink.begin(firstSeq * size, 10_000_000);
    const pids = [...side.pids, process.pid];
    const a = sampleCpu(pids);
    const result = await cannon(port, path, opts.connections, opts.durationS, body, firstSeq);
    const b = sampleCpu(pids);
    // Drain: everything accepted arrives, or nothing more for 2 s.
    let last = -1;
    for (let quiet = 0; subscribed(kind) && sink.received < result['2xx'] * size && quiet < 20; ) {
      await sleep(100);
      quiet = sink.received === last ? quiet + 1 : 0;
      last = sink.received;
    }
    const cpu = cpuBetween(a, b);
    const serverCpu = Math.round(cpu.procs[0]! * 10) / 10;
    const generatorCpu = Math.round(cpu.procs.at(-1)! * 10) / 10;
    if (kind === 'batch') await checkBatch(port, body(0), size);
    const publishesPerSec = Math.round((result['2xx'] * size) / cpu.seconds);
    return {
      case: kind,
      build: kind === 'floor' ? 'node:http' : build.label,
      channels,
      batch: size,
      seconds: cpu.seconds,
      accepted: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      publishesPerSec,
      serverCpu,
      generatorCpu,
      perCore: Math.round(publishesPerSec / (serverCpu / 100)),
      ackP50: result.latency.p50,
      ackP99: result.latency.p99,
      // A request still in flight when autocannon stops is not counted as accepted, but the server
      // may have published it: delivered may exceed accepted by up to --connections.
      ...(subscribed(kind) ? { delivery: sink.hist.summary(), delivered: sink.received, lost: Math.max(0, result['2xx'] * size - sink.received), duplicates: sink.duplicates } : {}),
      cores: cpu.cores,
      foreign: Math.round(Math.max(0, (cpu.cores[0] ?? 0) - serverCpu, (cpu.cores[1] ?? 0) - generatorCpu) * 10) / 10,
    };
  } finally {
    for (const s of subs) s.close();
    await side.stop();
    spec.cleanup();
  }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
const spread = (xs: number[]): string => (xs.length > 1 ? ` (${Math.min(...xs)}–${Math.max(...xs)})` : '');

function row(runs: Run[]): string {
  const r = runs[0]!;
  const m = (f: (x: Run) => number) => median(runs.map(f));
  const n = r.channels.toLocaleString('en');
  const what =
    subscribed(r.case)
      ? `${n} subscribers on ${n} channels${r.case === 'channels-batch' ? `, batches of ${r.batch}` : ''}`
      : r.case === 'floor'
        ? 'floor: bare node:http POST (naive server, no clients)'
        : `publish path${r.case === 'batch' ? `, batches of ${r.batch}` : ''}, no subscribers, ${n} channels`;
  const delivery = subscribed(r.case) ? `${m((x) => x.delivery!.p50)} / ${m((x) => x.delivery!.p99)}` : '–';
  const lost = subscribed(r.case) ? String(runs.reduce((s, x) => s + x.lost!, 0)) : '–';
  const gen = m((x) => x.generatorCpu);
  const server = m((x) => x.serverCpu);
  const limit = server >= 90 ? 'server' : gen >= 90 ? 'generator' : 'neither';
  return `| ${what} | ${r.build} | ${m((x) => x.publishesPerSec)}${spread(runs.map((x) => x.publishesPerSec))} | ${m((x) => x.perCore)}${spread(runs.map((x) => x.perCore))} | ${server} | ${gen} | ${limit} | ${m((x) => x.ackP50)} / ${m((x) => x.ackP99)} | ${delivery} | ${runs.reduce((s, x) => s + x.non2xx + x.errors, 0)} | ${lost} | ${Math.max(...runs.map((x) => x.foreign))} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'publish,batch,floor,channels' },
      batch: { type: 'string', default: '20' },
      builds: { type: 'string' },
      channels: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '32' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      repeat: { type: 'string', default: '3' },
      'no-pin': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const cases = values.cases.split(',').filter(Boolean) as Case[];
  if (cases.some((c) => !['publish', 'batch', 'floor', 'channels', 'channels-batch'].includes(c))) throw new Error(USAGE);
  const channels = Number(values.channels);
  const opts = { connections: Number(values.connections), warmupS: Number(values.warmup), durationS: Number(values.duration), pin: !values['no-pin'], batch: Number(values.batch) };
  if (opts.pin) execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const started = new Date();
  const runs: Run[] = [];
  const builds: Build[] = values.builds
    ? values.builds.split(',').map((b) => ({ label: b.slice(0, b.indexOf('=')), bin: b.slice(b.indexOf('=') + 1) }))
    : [{ label: heraldRevision(), bin: HERALD_BIN }];
  for (let rep = 1; rep <= Number(values.repeat); rep++) {
    for (const kind of cases) {
      for (const build of kind === 'floor' ? builds.slice(0, 1) : builds) {
        const run = await measure(kind, build, channels, opts);
        runs.push(run);
        const d = run.delivery ? `, delivery p50/p99 ${run.delivery.p50}/${run.delivery.p99} ms, lost ${run.lost}, dup ${run.duplicates}` : '';
        console.log(`${kind} ${run.build} #${rep}: ${run.publishesPerSec}/s (${run.perCore}/s per server core), server ${run.serverCpu}%, generator ${run.generatorCpu}%, ack p99 ${run.ackP99} ms${d}, non-2xx ${run.non2xx}, errors ${run.errors}, other load ${run.foreign}%`);
      }
    }
  }
  const table = [
    `${started.toISOString()}, Herald ${builds.map((b) => `${b.label} (${b.bin})`).join(' vs ')}; ${opts.connections} keep-alive publish connections, ${opts.durationS} s per run after ${opts.warmupS} s warm-up${Number(values.repeat) > 1 ? `, ${values.repeat} runs: median (min–max)` : ''}.`,
    '',
    '| case | build | publishes/s | publishes/s per server core | server CPU % | generator CPU % | at ≥ 90 % | ack p50 / p99 ms | delivery p50 / p99 ms | non-2xx + errors | lost | other load % (worst) |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...cases.flatMap((c) => [...new Set(runs.filter((r) => r.case === c).map((r) => r.build))].map((b) => row(runs.filter((r) => r.case === c && r.build === b)))),
  ].join('\n');
  console.log(`\n${table}`);
  if (!values['no-write']) {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `channels-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ started: started.toISOString(), machine: machine(), revision: heraldRevision(), builds, options: { ...opts, channels, cases }, runs, table }, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
