/**
 * @module server-side
 * Everything on the server's side of one run: the processes a target starts (one Herald node, two
 * nodes sharing Redis, a cluster primary and its workers, or a comparison server), all pinned to
 * the server core, and the shared Redis, pinned there too for the run. It knows every pid and
 * what it is (for CPU sampling), sums their RSS, and stops them.
 */
import type { ChildProcess } from 'node:child_process';
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

/** One started process: its output's tail for error messages, its inspector, its start-up lines. */
class Started {
  inspector: string | undefined;
  listening = 0;
  private tail = '';
  private partial = '';

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (d: Buffer): void => {
      this.tail = (this.tail + d.toString('utf8')).slice(-4000);
    };
    child.stderr?.on('data', (d: Buffer) => {
      keep(d);
      this.inspector ??= inspectorUrl(d.toString('utf8'));
    });
    child.stdout?.on('data', (d: Buffer) => {
      keep(d);
      // Whole lines only: a cluster's workers share the primary's stdout.
      const lines = (this.partial + d.toString('utf8')).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) if (line.includes('"herald listening"')) this.listening++;
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
      const inspect = spec.inspect ? ['--inspect=127.0.0.1:0'] : [];
      const child = spawnNode(['--enable-source-maps', ...inspect, ...args], core, { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
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
    this.roles.push(...this.spec.sharedPids.map(() => 'redis'));
  }

  /** Whether RSS can be sampled after a forced GC (every started process has an inspector). */
  get canGc(): boolean {
    return this.started.every((s) => s.inspector !== undefined);
  }

  /**
   * RSS of the processes the target started (workers included; not the shared Redis, which holds
   * other users' data too) after a settle pause, then after a forced full GC (NaN without one).
   */
  async sampleRss(settleMs: number): Promise<[number, number]> {
    await sleep(settleMs);
    const settled = this.rss();
    if (!this.canGc) return [settled, NaN];
    await Promise.all(this.started.map((s) => forceGc(s.inspector!)));
    await sleep(Math.min(500, settleMs)); // let freed pages leave RSS
    return [settled, this.rss()];
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
