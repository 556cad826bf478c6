/**
 * @module server-side
 * Everything on the server's side of one run: the processes a target starts (one Herald node, two
 * nodes sharing Redis, a cluster primary and its workers, or a comparison server), all pinned to
 * the server core, and the shared Redis, pinned there too for the run. It knows every pid and
 * what it is (for CPU sampling), sums their RSS, and stops them.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { request } from 'node:http';
import { forceGc, inspectorUrl } from './gc.js';
import { childPids, rssBytes, socketCount } from './proc.js';
import { pinRunning, spawnNode, stopProcess } from './processes.js';
import type { LaunchSpec } from './targets.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Settings in the harness's environment must not leak into a server's config. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const aliases = ['PORT', 'LOG_LEVEL', 'SERVER_ADDR', 'REDIS_URL', 'NATS_URL'];
  for (const k of Object.keys(env)) if (k.startsWith('HERALD_') || aliases.includes(k)) delete env[k];
  return env;
}

function httpStatus(host: string, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * One started process: its output's tail for error messages, and what its lines announce. A
 * cluster's workers write to the primary's stdout and stderr, so there may be several inspectors
 * (node gives each worker the primary's inspector port + 1, + 2…) and `herald listening` lines.
 */
class Started {
  readonly inspectors: string[] = [];
  listening = 0;
  private tail = '';

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.onLines(child.stderr, (line) => {
      const url = inspectorUrl(line);
      if (url) this.inspectors.push(url);
    });
    this.onLines(child.stdout, (line) => {
      if (line.includes('"herald listening"')) this.listening++;
    });
  }

  private onLines(stream: Readable | null, onLine: (line: string) => void): void {
    let partial = '';
    stream?.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.tail = (this.tail + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    });
  }

  output(): string {
    return this.tail.trim();
  }
}

export class ServerSide {
  private readonly started: Started[];
  private readonly unpin: Array<() => void> = [];
  /** Server-side pids, known once ready: the started processes, their workers, then Redis. */
  pids: number[] = [];
  /** What each pid is, same order. */
  roles: string[] = [];

  constructor(
    private readonly spec: LaunchSpec,
    private readonly host: string,
    core: string | null,
  ) {
    this.started = spec.processes.map(({ args, port }) => {
      // The inspector is only used between phases, to force GC before RSS samples (see gc.ts).
      // BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof) is for profiling the server under test.
      const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const child = spawnNode(['--enable-source-maps', '--inspect=127.0.0.1:0', ...extra, ...args], core, { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
      return new Started(child, port);
    });
    // Redis serves the nodes from the server's core for the run, so its work is charged there.
    if (core !== null) for (const pid of spec.sharedPids) this.unpin.push(pinRunning(pid, core));
  }

  /** Throws with the process's output if any server process has exited. */
  checkAlive(what: string): void {
    const dead = this.started.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
    if (dead) throw new Error(`exited (${dead.child.exitCode ?? dead.child.signalCode}) ${what}: ${dead.output()}`);
  }

  /** Every process answers /readyz and, for Herald, every node and worker has said it listens. */
  async ready(timeoutMs: number): Promise<void> {
    const by = performance.now() + timeoutMs;
    for (;;) {
      this.checkAlive('before it was ready');
      const statuses = await Promise.all(this.started.map((s) => httpStatus(this.host, s.port, '/readyz')));
      const listening = this.started.reduce((a, s) => a + s.listening, 0);
      if (statuses.every((st) => st === 200) && listening >= this.spec.listeners) break;
      if (performance.now() > by) throw new Error(`not ready after ${timeoutMs / 1000} s: ${this.started.map((s) => s.output()).join('\n')}`);
      await sleep(100);
    }
    const many = this.started.length > 1;
    this.started.forEach((s, i) => {
      const pid = s.child.pid!;
      if (!this.spec.withChildren) {
        this.pids.push(pid);
        this.roles.push(many ? `node ${i + 1}` : 'server');
        return;
      }
      const workers = childPids(pid);
      this.pids.push(pid, ...workers);
      this.roles.push('primary', ...workers.map((_, w) => `worker ${w + 1}`));
    });
    this.pids.push(...this.spec.sharedPids);
    this.roles.push(...this.spec.sharedPids.map(() => this.spec.sharedRole ?? 'redis'));
  }

  /** Whether RSS can be sampled after a forced GC (every process, workers too, has an inspector). */
  get canGc(): boolean {
    return this.started.reduce((a, s) => a + s.inspectors.length, 0) === this.ownPids().length;
  }

  /**
   * RSS of the processes the target started (workers included; not the shared Redis, which holds
   * other users' data too) after a settle pause, then after a forced full GC (NaN without one).
   */
  async sampleRss(settleMs: number): Promise<[number, number]> {
    await sleep(settleMs);
    const settled = this.rss();
    if (!this.canGc) return [settled, NaN];
    await Promise.all(this.started.flatMap((s) => s.inspectors.map((url) => forceGc(url))));
    await sleep(Math.min(500, settleMs)); // let freed pages leave RSS
    return [settled, this.rss()];
  }

  /** Inspector URLs of every process and worker (for sampling heap and GC through a phase). */
  inspectorUrls(): string[] {
    return this.started.flatMap((s) => s.inspectors);
  }

  /** RSS now, summed over the target's own processes. */
  rss(): number {
    return this.ownPids().reduce((a, pid) => a + rssBytes(pid), 0);
  }

  /** Open sockets per started process and worker: shows how the subscribers were split. */
  sockets(): number[] {
    return this.ownPids().map(socketCount);
  }

  private ownPids(): number[] {
    return this.pids.slice(0, this.pids.length - this.spec.sharedPids.length);
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.map((s) => stopProcess(s.child)));
    for (const restore of this.unpin) restore();
  }
}
