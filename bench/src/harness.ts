/**
 * @module harness
 * Runs one server × subscriber-count measurement end to end: start the server side (every
 * process of the target, and the Redis it uses) pinned to core 0, start the generator pinned to
 * core 1, measure idle RSS per connection, then the latency, peak and (on request) steady
 * phases, then tear everything down. During the steady phase the server's RSS, V8 heap and GC
 * pauses are sampled from outside (server-sampler.ts). Nothing is shared between runs, so one
 * server's leftovers (sockets, heap) cannot colour the next.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ConnectResult, GeneratorReply, GeneratorRequest, PhaseRequest, PhaseResult } from './ipc.js';
import { foreignLoad, waitForQuiet } from './contention.js';
import { ServerSampler, type ServerSamples } from './server-sampler.js';
import { spawnNode, stopProcess } from './processes.js';
import { ServerSide } from './server-side.js';
import { launchSpec, nodeCount, type ServerName } from './targets.js';

export type PhaseName = 'latency' | 'peak' | 'steady';

export interface BenchOptions {
  /** Peak phase length. */
  durationS: number;
  latencyDurationS: number;
  /** Unmeasured broadcasts (at 10/s) before the phases, so no server is measured cold. */
  warmupS: number;
  /** Latency phase broadcasts per second. */
  rate: number;
  /** Peak phase concurrent publishers. */
  publishers: number;
  /** Peak phase backlog window in publications (0 = unlimited). */
  window: number;
  /** Steady phase: broadcasts per second, seconds, and seconds per window of its breakdown. */
  steadyRate: number;
  steadyDurationS: number;
  steadyWindowS: number;
  /** Steady phase: how often the server's RSS and heap are sampled. */
  sampleMs: number;
  payloadBytes: number;
  /** Upper bound on deliveries one phase may expect (limits publications at large N). */
  maxDeliveries: number;
  /** Pin the server side (with Redis) to core 0 and the generator to core 1 with taskset. */
  pin: boolean;
  phases: PhaseName[];
  /** Repeat a run whose cores carried more than `foreignMaxPct` of someone else's load. */
  retries: number;
  foreignMaxPct: number;
  /** Pause before each RSS sample, so allocation from the last burst settles. */
  settleMs: number;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, 'log'> = {
  durationS: 5,
  latencyDurationS: 10,
  warmupS: 2,
  rate: 5,
  publishers: 4,
  window: 0,
  steadyRate: 20,
  steadyDurationS: 300,
  steadyWindowS: 30,
  sampleMs: 250,
  payloadBytes: 100,
  maxDeliveries: 20_000_000,
  pin: true,
  phases: ['latency', 'peak'],
  retries: 2,
  foreignMaxPct: 10,
  settleMs: 2000,
};

export interface RunResult {
  server: ServerName;
  subscribers: number;
  connect?: ConnectResult;
  /** What each server-side process was (cpu.serverParts follows this order). */
  serverProcs?: string[];
  /** Open sockets per started server process once all subscribers were connected. */
  sockets?: number[];
  /** Runs made for this cell (see contention.ts) and the foreign core load of the kept one. */
  attempts?: number;
  foreignLoadPct?: number;
  /**
   * Server RSS (summed over the target's processes, without Redis), each point sampled twice:
   * after a settle pause (`…Bytes`, what the issue asks for) and right after a forced full GC
   * (`…GcBytes`, what the connections retain).
   */
  rss?: {
    /** No connection, start-up settled. */
    baselineBytes: number;
    baselineGcBytes: number;
    /** A tenth of the subscribers connected. */
    stepBytes: number;
    stepGcBytes: number;
    /** All subscribers connected, subscribed and idle. */
    idleBytes: number;
    idleGcBytes: number;
    /** (idle − baseline) / N after the settle pause: the issue's definition. */
    perConnectionBytes: number;
    /** (idle − baseline) / N, both after a full GC. */
    perConnectionGcBytes: number;
    /** (idle − step) / (N − N/10) after GC: the cost of one more connection, minus one-off costs. */
    marginalGcBytes: number;
    /** After both phases (buffers and garbage from the load still held). */
    afterBytes: number;
  };
  latency?: PhaseResult;
  peak?: PhaseResult;
  steady?: PhaseResult;
  /** The server's RSS, heap and GC pauses through the steady phase. */
  steadyServer?: ServerSamples;
  error?: string;
}

const HOST = '127.0.0.1';
const SERVER_CORE = '0';
const GENERATOR_CORE = '1';

/** `count` distinct free ports: all are held open until every one is known. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (srv) =>
        new Promise<number>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, HOST, () => {
            const addr = srv.address();
            if (typeof addr === 'object' && addr) resolve(addr.port);
            else reject(new Error('no port'));
          });
        }),
    ),
  );
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

/** One free port on the loopback. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

class GeneratorHandle {
  private readonly child: ChildProcess;
  private waiting: ((reply: GeneratorReply) => void) | null = null;
  private exitReason: string | null = null;

  constructor(pin: boolean) {
    const script = fileURLToPath(new URL('./generator.js', import.meta.url));
    // BENCH_GENERATOR_NODE_ARGS (e.g. --cpu-prof) is for profiling the generator itself.
    const extra = (process.env.BENCH_GENERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
    this.child = spawnNode(['--enable-source-maps', '--max-old-space-size=4096', ...extra, script], pin ? GENERATOR_CORE : null, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: GeneratorReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
    this.child.on('exit', (code, sig) => {
      this.exitReason = `generator exited (${code ?? sig})`;
      const w = this.waiting;
      this.waiting = null;
      w?.({ cmd: 'error', message: this.exitReason });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call(req: GeneratorRequest): Promise<GeneratorReply> {
    if (this.exitReason) return Promise.resolve({ cmd: 'error', message: this.exitReason });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.child.send(req);
    });
  }

  stop(): Promise<void> {
    return stopProcess(this.child, () => this.child.connected && this.child.send({ cmd: 'stop' } satisfies GeneratorRequest));
  }
}

export async function runOne(server: ServerName, subscribers: number, opts: BenchOptions): Promise<RunResult> {
  const result: RunResult = { server, subscribers };
  const ports = await freePorts(nodeCount(server));
  const spec = launchSpec(server, HOST, ports, subscribers);
  const side = new ServerSide(spec, HOST, opts.pin ? SERVER_CORE : null);
  let generator: GeneratorHandle | null = null;
  try {
    await side.ready(20_000);
    result.serverProcs = side.roles;
    const [baselineBytes, baselineGcBytes] = await side.sampleRss(opts.settleMs);
    if (!side.canGc) opts.log(`  ${server}: no inspector; RSS is sampled without forced GC`);

    generator = new GeneratorHandle(opts.pin);
    const connectTo = async (count: number): Promise<ConnectResult> => {
      const c = await generator!.call({ cmd: 'connect', protocol: spec.protocol, host: HOST, ports, subscribers: count, concurrency: 256, timeoutMs: 60_000 });
      if (c.cmd !== 'connect') throw new Error(`connect: ${'message' in c ? c.message : c.cmd}`);
      if (c.ready < count) throw new Error(`only ${c.ready}/${count} subscribers connected: ${c.firstError ?? 'timeout'}`);
      return c;
    };
    // A tenth first: RSS after it includes every one-off cost of the first connections (JIT
    // code, pools), so the slope from there to N is the marginal cost of a connection.
    const step = Math.max(1, Math.round(subscribers / 10));
    const first = await connectTo(step);
    const [stepBytes, stepGcBytes] = await side.sampleRss(opts.settleMs);
    const connect = await connectTo(subscribers);
    connect.ms += first.ms;
    result.connect = connect;
    result.sockets = side.sockets();
    opts.log(`  ${server} n=${subscribers}: ${connect.ready} subscribed in ${connect.ms} ms (sockets per process: ${result.sockets.join(' / ')})`);

    const [idleBytes, idleGcBytes] = await side.sampleRss(opts.settleMs);
    result.rss = {
      baselineBytes,
      baselineGcBytes,
      stepBytes,
      stepGcBytes,
      idleBytes,
      idleGcBytes,
      perConnectionBytes: Math.round((idleBytes - baselineBytes) / subscribers),
      perConnectionGcBytes: Math.round((idleGcBytes - baselineGcBytes) / subscribers),
      marginalGcBytes: subscribers > step ? Math.round((idleGcBytes - stepGcBytes) / (subscribers - step)) : NaN,
      afterBytes: 0,
    };

    const phase = (kind: PhaseName): PhaseRequest => ({
      cmd: 'phase',
      kind,
      target: spec.publish,
      serverPids: side.pids,
      durationS: kind === 'latency' ? opts.latencyDurationS : kind === 'steady' ? opts.steadyDurationS : opts.durationS,
      rate: kind === 'steady' ? opts.steadyRate : opts.rate,
      windowS: opts.steadyWindowS,
      publishers: opts.publishers,
      window: opts.window,
      maxDeliveries: opts.maxDeliveries,
      payloadBytes: opts.payloadBytes,
    });
    if (opts.warmupS > 0) {
      // JIT-compiles every server's send path; without it the first broadcasts dominate p99.
      const w = await generator.call({ ...phase('latency'), rate: 10, durationS: opts.warmupS });
      if (w.cmd !== 'phase') throw new Error(`warm-up: ${'message' in w ? w.message : w.cmd}`);
    }
    for (const kind of opts.phases) {
      const sampler = kind === 'steady' && side.canGc ? new ServerSampler(side.inspectorUrls(), () => side.rss(), opts.sampleMs) : null;
      if (kind === 'steady' && !sampler) opts.log(`  ${server}: no inspector; the steady phase is run without heap and GC figures`);
      await sampler?.start();
      const r = await generator.call(phase(kind));
      // Stopped whatever the outcome: its timer and inspector sessions must not outlive the phase.
      const frame = r.cmd === 'phase' ? r.steady : undefined;
      const samples = await sampler?.stop(frame?.startEpochMs ?? 0, frame?.endEpochMs ?? 0, frame?.windowS ?? 1);
      if (r.cmd !== 'phase') throw new Error(`${kind}: ${'message' in r ? r.message : r.cmd}`);
      result[kind] = r;
      if (samples && frame) result.steadyServer = samples;
      const parts = r.cpu.serverParts ? ` (${r.cpu.serverParts.map((p, i) => `${side.roles[i]} ${p}`).join(', ')})` : '';
      opts.log(
        `  ${server} n=${subscribers} ${kind}: ${r.deliveriesPerSec.toLocaleString('en-US')} deliveries/s, ` +
          `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms${kind === 'steady' ? `, p99.9 ${r.latency.p999} ms, max ${r.latency.max} ms` : ''}, lost ${r.lost}, dup ${r.duplicates}, ` +
          `cpu server ${r.cpu.procs[0]}%${parts} gen ${r.cpu.procs[1]}%`,
      );
      side.checkAlive(`during ${kind}`);
    }
    result.rss.afterBytes = side.rss();
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    opts.log(`  ${server} n=${subscribers}: ERROR ${result.error}`);
  } finally {
    await generator?.stop();
    await side.stop();
    try {
      spec.cleanup();
    } catch (err) {
      opts.log(`  ${server}: cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}

/**
 * runOne on quiet cores, repeated while other work on the box loaded the measured cores; the
 * least-disturbed attempt is kept and its foreign load recorded.
 */
export async function runMeasured(server: ServerName, subscribers: number, opts: BenchOptions): Promise<RunResult> {
  let best: RunResult | undefined;
  let made = 0;
  for (let attempt = 1; attempt <= 1 + opts.retries; attempt++) {
    made = attempt;
    if (opts.pin) await waitForQuiet(opts.foreignMaxPct, 60_000, opts.log);
    const r = await runOne(server, subscribers, opts);
    r.attempts = attempt;
    if (!opts.pin || r.error) return r;
    r.foreignLoadPct = foreignLoad(r);
    if (!best || r.foreignLoadPct < best.foreignLoadPct!) best = { ...r };
    if (r.foreignLoadPct <= opts.foreignMaxPct) break;
    const again = attempt <= opts.retries;
    opts.log(`  ${server} n=${subscribers}: ${r.foreignLoadPct}% of a measured core was used by other processes${again ? '; repeating' : ''}`);
  }
  best!.attempts = made;
  return best!;
}
