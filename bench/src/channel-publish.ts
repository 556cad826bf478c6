/**
 * @module channel-publish
 * `npm run bench:channel`: HTTP publishes per second to ONE channel with 1, 8 and 32
 * requests in flight per node, through one Herald node and through two, on the NATS and the Redis
 * engine (issue 12: a node must not race itself for a channel's head). Each publish is checked,
 * not only counted: every non-200 answer is reported by status, and the offsets of one cell must
 * be 1…N, each once. Nodes and the engine's server run on core 0, this process (the publishers)
 * on core 1; the CPU of both sides is recorded so a saturated generator shows.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { waitForQuiet } from './contention.js';
import { freePorts } from './harness.js';
import { deleteStreams, NATS_URL, natsPid } from './nats.js';
import { cpuBetween, sampleCpu } from './proc.js';
import { heraldRevision, machine } from './provenance.js';
import { deleteKeys, REDIS_URL, redisPid } from './redis.js';
import { ServerSide } from './server-side.js';
import { HERALD_API_KEY, HERALD_BIN, REPO_ROOT, type LaunchSpec } from './targets.js';

const USAGE = `usage: npm run bench:channel -- [options]
  --engines nats,redis     engines to measure
  --nodes 1,2              Herald nodes publishing (each gets --in-flight requests at once)
  --in-flight 1,8,32       publishes in flight per node
  --duration 5             measured seconds per cell (after --warmup 1)
  --repeat 1               measure every cell this many times (interleaved); medians reported
  --builds a=<herald.js>,b=<herald.js>
                           Herald builds to compare, measured back to back in each cell (default:
                           this checkout's build, named after its git revision)
  --no-pin                 do not pin with taskset
  --no-write               do not write bench/results/channel-publish-<time>.json
environment: BENCH_HERALD_BIN=<path> the default build; BENCH_NATS_URL, BENCH_REDIS_URL`;

const HOST = '127.0.0.1';
/** How long a cell waits for other work on the box to calm down (contention.ts) before it measures anyway. */
const QUIET_WAIT_MS = 20_000;
type Engine = 'nats' | 'redis';

interface Build {
  label: string;
  bin: string;
}

interface Cell {
  build: string;
  engine: Engine;
  nodes: number;
  inFlight: number;
  seconds: number;
  /** Publishes answered 200 in the measured window. */
  stored: number;
  publishesPerSec: number;
  /** Non-200 answers over the whole cell (warm-up included), by status; 0 = transport error. */
  failed: Record<string, number>;
  /** Whether the cell's offsets were exactly 1…N. */
  offsetsExact: boolean;
  /** Percent of one core over the measured window. */
  serverCpu: number;
  serverParts: Record<string, number>;
  generatorCpu: number;
  /** Busy percent of core 0 and core 1, and the largest share of either not used by our processes. */
  cores: number[];
  foreign: number;
}

/** The nodes' launch, and what deletes the keys or streams they created. */
function launch(bin: string, engine: Engine, ports: number[]): { spec: LaunchSpec; removeData(): Promise<void> } {
  const prefix = `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const engineLine =
    engine === 'nats' ? `engine: { type: nats, prefix: ${prefix}, nats: { servers: ['${NATS_URL}'], storage: memory } }` : `engine: { type: redis, prefix: ${prefix}, redis: { url: '${REDIS_URL}' } }`;
  const files = ports.map((port) => {
    const file = join(tmpdir(), `herald-channel-bench-${process.pid}-${port}.yaml`);
    writeFileSync(file, [`server: { host: ${HOST}, port: ${port} }`, `auth: { api_keys: [${HERALD_API_KEY}] }`, 'log: { level: info }', engineLine, ''].join('\n'));
    return file;
  });
  const shared = engine === 'nats' ? natsPid() : redisPid();
  const spec: LaunchSpec = {
    processes: files.map((file, i) => ({ args: [bin, 'serve', '--config', file, '--workers', '1'], port: ports[i]! })),
    protocol: 'herald',
    listeners: ports.length,
    withChildren: false,
    publish: { host: HOST, port: ports[0]!, path: '/api/publish', headers: {} },
    sharedPids: shared === undefined ? [] : [shared],
    sharedRole: engine === 'nats' ? 'nats-server' : 'redis',
    cleanup: () => {
      for (const file of files) rmSync(file, { force: true });
    },
  };
  return { spec, removeData: async () => (engine === 'nats' ? deleteStreams(prefix) : deleteKeys(prefix)) };
}

/** One publish; resolves with the status and, on 200, the offset. */
function publish(agent: Agent, port: number, body: string): Promise<{ status: number; offset?: number }> {
  return new Promise((resolve) => {
    const headers = { authorization: `Bearer ${HERALD_API_KEY}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: HOST, port, method: 'POST', path: '/api/publish', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(res.statusCode === 200 ? { status: 200, offset: (JSON.parse(text) as { offset: number }).offset } : { status: res.statusCode ?? 0 }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

async function measureCell(build: string, engine: Engine, side: ServerSide, ports: number[], inFlight: number, opts: { warmupS: number; durationS: number }, channel: string): Promise<Cell> {
  const failed: Record<string, number> = {};
  const offsets: number[] = [];
  let measuring = false;
  let stored = 0;
  let stop = false;
  const worker = async (agent: Agent, port: number, id: number) => {
    for (let i = 0; !stop; i++) {
      const r = await publish(agent, port, `{"channel":"${channel}","data":{"w":${id},"i":${i}}}`);
      if (r.offset === undefined) failed[r.status] = (failed[r.status] ?? 0) + 1;
      else {
        offsets.push(r.offset);
        if (measuring) stored++;
      }
    }
  };
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: inFlight }));
  const workers = ports.flatMap((port, n) => Array.from({ length: inFlight }, (_, w) => worker(agents[n]!, port, n * inFlight + w)));
  await new Promise((r) => setTimeout(r, opts.warmupS * 1000));
  const pids = [...side.pids, process.pid];
  const a = sampleCpu(pids);
  measuring = true;
  await new Promise((r) => setTimeout(r, opts.durationS * 1000));
  measuring = false;
  const b = sampleCpu(pids);
  stop = true;
  await Promise.all(workers);
  for (const agent of agents) agent.destroy();
  const cpu = cpuBetween(a, b);
  const serverParts = Object.fromEntries(side.roles.map((role, i) => [role, cpu.procs[i]!]));
  const serverCpu = Math.round(cpu.procs.slice(0, side.pids.length).reduce((x, y) => x + y, 0) * 10) / 10;
  const generatorCpu = cpu.procs.at(-1)!;
  const sorted = offsets.sort((x, y) => x - y);
  return {
    build,
    engine,
    nodes: ports.length,
    inFlight,
    seconds: cpu.seconds,
    stored,
    publishesPerSec: Math.round(stored / cpu.seconds),
    failed,
    offsetsExact: sorted.every((o, i) => o === i + 1),
    serverCpu,
    serverParts,
    generatorCpu,
    cores: cpu.cores,
    foreign: Math.round(Math.max(0, (cpu.cores[0] ?? 0) - serverCpu, (cpu.cores[1] ?? 0) - generatorCpu) * 10) / 10,
  };
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;

function row(cells: Cell[]): string {
  const c = cells[0]!;
  const rates = cells.map((x) => x.publishesPerSec);
  const range = cells.length > 1 ? ` (${Math.min(...rates)}–${Math.max(...rates)})` : '';
  const failed: Record<string, number> = {};
  for (const x of cells) for (const [k, v] of Object.entries(x.failed)) failed[k] = (failed[k] ?? 0) + v;
  const failures = Object.entries(failed).map(([k, v]) => `${v} × ${k}`).join(', ') || '0';
  const gen = median(cells.map((x) => x.generatorCpu));
  const server = median(cells.map((x) => x.serverCpu));
  const limit = gen >= 90 ? 'generator' : server >= 90 ? 'server side' : 'neither';
  return `| ${c.build} | ${c.engine} | ${c.nodes} | ${c.inFlight} | ${median(rates)}${range} | ${failures} | ${cells.every((x) => x.offsetsExact) ? 'yes' : '**no**'} | ${server} | ${gen} | ${limit} | ${Math.max(...cells.map((x) => x.foreign))} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engines: { type: 'string', default: 'nats,redis' },
      nodes: { type: 'string', default: '1,2' },
      'in-flight': { type: 'string', default: '1,8,32' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '1' },
      builds: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const builds: Build[] = values.builds
    ? list(values.builds).map((b) => ({ label: b.slice(0, b.indexOf('=')), bin: b.slice(b.indexOf('=') + 1) }))
    : [{ label: heraldRevision(), bin: HERALD_BIN }];
  for (const { bin } of builds) if (!existsSync(bin)) throw new Error(`no Herald build at ${bin}; run \`npm run build\``);
  const engines = list(values.engines) as Engine[];
  if (engines.some((e) => e !== 'nats' && e !== 'redis')) throw new Error(USAGE);
  const nodeCounts = list(values.nodes).map(Number);
  const inFlights = list(values['in-flight']).map(Number);
  const opts = { warmupS: Number(values.warmup), durationS: Number(values.duration) };
  const pin = !values['no-pin'];
  if (pin) execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const started = new Date();
  const cells: Cell[] = [];
  let n = 0;
  for (let rep = 1; rep <= Number(values.repeat); rep++) {
    for (const engine of engines) {
      for (const nodes of nodeCounts) {
        for (const build of builds) {
          const ports = await freePorts(nodes);
          const { spec, removeData } = launch(build.bin, engine, ports);
          const side = new ServerSide(spec, HOST, pin ? '0' : null);
          try {
            await side.ready(30_000);
            for (const inFlight of inFlights) {
              if (!(await waitForQuiet(30, QUIET_WAIT_MS, console.log))) console.log(`  cores still busy after ${QUIET_WAIT_MS / 1000} s: measuring anyway (see "other load")`);
              const cell = await measureCell(build.label, engine, side, ports, inFlight, opts, `cp${process.pid}_${n++}`);
              cells.push(cell);
              console.log(`${build.label}: ${engine}, ${nodes} node(s) × ${inFlight} in flight: ${cell.publishesPerSec}/s, failed ${JSON.stringify(cell.failed)}, offsets exact ${cell.offsetsExact}, server ${cell.serverCpu}% ${JSON.stringify(cell.serverParts)}, generator ${cell.generatorCpu}%, other load ${cell.foreign}%`);
            }
          } finally {
            await side.stop();
            spec.cleanup();
            await removeData();
          }
        }
      }
    }
  }
  const key = (c: Cell): string => `${c.engine}/${c.nodes}/${c.inFlight}/${c.build}`;
  // Table order: engine, nodes, in flight, then the builds side by side in the order given.
  const order = (c: Cell): number[] => [engines.indexOf(c.engine), c.nodes, c.inFlight, builds.findIndex((b) => b.label === c.build)];
  const sorted = [...cells].sort((x, y) => order(x).reduce((d, v, i) => d || v - order(y)[i]!, 0));
  const keys = [...new Set(sorted.map(key))];
  const table = [
    `${started.toISOString()}, Herald ${builds.map((b) => `${b.label} (${b.bin})`).join(' vs ')}; ${opts.durationS} s per cell after ${opts.warmupS} s warm-up${Number(values.repeat) > 1 ? `, ${values.repeat} runs: median (min–max)` : ''}.`,
    '',
    '| build | engine | nodes | in flight per node | publishes/s | non-200 answers | offsets 1…N once | server-side CPU % | generator CPU % | at ≥ 90 % | other load % |',
    '|---|---|---:|---:|---:|---|:---:|---:|---:|---|---:|',
    ...keys.map((k) => row(cells.filter((c) => key(c) === k))),
  ].join('\n');
  console.log(`\n${table}`);
  if (!values['no-write']) {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `channel-publish-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ started: started.toISOString(), machine: machine(), builds, options: { ...opts, pin }, cells, table }, null, 2) + '\n');
    console.log(`\nwrote ${file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
