/**
 * @module server-sampler
 * The server's memory and garbage collection through a steady-load phase, sampled from outside
 * so the server runs unchanged: RSS from /proc and V8's heap use through the inspector
 * (Runtime.getHeapUsage) every `intervalMs`, and every GC pause from a PerformanceObserver the
 * inspector installs for the phase (stats/gc.ts). The sampler runs in the harness, on the
 * generator's core.
 *
 * BENCH_SERVER_ALLOC_PROFILE=<file> also records where the server allocates through the phase
 * (V8's sampling heap profiler, collected objects included: the garbage, not only what is
 * retained) into <file>.<n>.heapprofile for DevTools; it slows the server, so not for figures.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Extent } from './ipc.js';
import { GC_OBSERVER_START, GC_OBSERVER_STOP, summariseGc, type GcSummary } from './stats/gc.js';

/** One inspector connection kept open for the phase; calls are answered in order. */
class InspectorSession {
  readonly #ws: WebSocket;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.#ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.#ws.once('open', () => resolve());
      this.#ws.once('error', reject);
    });
    this.#ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string } };
      const w = msg.id === undefined ? undefined : this.#waiting.get(msg.id);
      if (!w) return;
      this.#waiting.delete(msg.id!);
      if (msg.error) w.reject(new Error(`inspector: ${msg.error.message}`));
      else w.resolve(msg.result);
    });
    this.#ws.on('close', () => {
      for (const w of this.#waiting.values()) w.reject(new Error('inspector closed'));
      this.#waiting.clear();
    });
  }

  call<T>(method: string, params?: object): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#ws.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }));
    });
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.call<{ result: { value: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`inspector: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  close(): void {
    this.#ws.close();
  }
}

/** One window of the phase (same windows as the generator's latency breakdown). */
export interface ServerWindow {
  rssBytes: Extent;
  heapUsedBytes: Extent;
  gc: GcSummary;
}

export interface ServerSamples {
  intervalMs: number;
  samples: number;
  /** Samples that failed (inspector busy or gone); they are left out of the extents. */
  failedSamples: number;
  rssBytes: Extent;
  /** V8 heap in use (Runtime.getHeapUsage usedSize), summed over the server's processes. */
  heapUsedBytes: Extent;
  /** V8 heap reserved (totalSize). */
  heapTotalBytes: Extent;
  gc: GcSummary;
  /** Per window of `windowS` from the phase's start (see ServerSampler.stop). */
  windows: ServerWindow[];
}

const extentOf = (xs: number[]): Extent => (xs.length ? { min: Math.min(...xs), max: Math.max(...xs) } : { min: NaN, max: NaN });

export class ServerSampler {
  readonly #sessions: InspectorSession[];
  readonly #times: number[] = [];
  readonly #rss: number[] = [];
  readonly #heapUsed: number[] = [];
  readonly #heapTotal: number[] = [];
  #failed = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  /** `rss()` sums the server's own processes' RSS; `inspectors` are their inspector URLs. */
  constructor(
    inspectors: string[],
    private readonly rss: () => number,
    private readonly intervalMs = 250,
  ) {
    this.#sessions = inspectors.map((url) => new InspectorSession(url));
  }

  readonly #allocProfile = process.env.BENCH_SERVER_ALLOC_PROFILE;

  async start(): Promise<void> {
    await Promise.all(this.#sessions.map((s) => s.opened));
    await Promise.all(this.#sessions.map((s) => s.evaluate<boolean>(GC_OBSERVER_START)));
    if (this.#allocProfile) {
      const params = { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
      await Promise.all(this.#sessions.map((s) => s.call('HeapProfiler.startSampling', params)));
    }
    this.#timer = setInterval(() => void this.#sample(), this.intervalMs);
  }

  async #sample(): Promise<void> {
    // A sample still waiting for a busy server is not stacked up behind.
    if (this.#busy) return;
    this.#busy = true;
    try {
      const at = Date.now();
      const usage = await Promise.all(this.#sessions.map((s) => s.call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage')));
      this.#times.push(at);
      this.#rss.push(this.rss());
      this.#heapUsed.push(usage.reduce((a, u) => a + u.usedSize, 0));
      this.#heapTotal.push(usage.reduce((a, u) => a + u.totalSize, 0));
    } catch {
      this.#failed++;
    } finally {
      this.#busy = false;
    }
  }

  /** Stops sampling and summarises, with windows of `windowS` from `startEpochMs` up to `endEpochMs`. */
  async stop(startEpochMs: number, endEpochMs: number, windowS: number): Promise<ServerSamples> {
    clearInterval(this.#timer);
    const pauses = (await Promise.all(this.#sessions.map((s) => s.evaluate<number[]>(GC_OBSERVER_STOP)))).flat();
    if (this.#allocProfile) {
      const profiles = await Promise.all(this.#sessions.map((s) => s.call<{ profile: unknown }>('HeapProfiler.stopSampling')));
      profiles.forEach((p, i) => writeFileSync(`${this.#allocProfile}.${i}.heapprofile`, JSON.stringify(p.profile)));
    }
    for (const s of this.#sessions) s.close();
    const windows: ServerWindow[] = [];
    const windowMs = windowS * 1000;
    for (let from = startEpochMs; from < endEpochMs; from += windowMs) {
      const to = Math.min(from + windowMs, endEpochMs);
      const pick = (xs: number[]): number[] => xs.filter((_, i) => this.#times[i]! >= from && this.#times[i]! < to);
      windows.push({ rssBytes: extentOf(pick(this.#rss)), heapUsedBytes: extentOf(pick(this.#heapUsed)), gc: summariseGc(pauses, from, to) });
    }
    const inPhase = (xs: number[]): number[] => xs.filter((_, i) => this.#times[i]! >= startEpochMs && this.#times[i]! < endEpochMs);
    return {
      intervalMs: this.intervalMs,
      samples: inPhase(this.#times).length,
      failedSamples: this.#failed,
      rssBytes: extentOf(inPhase(this.#rss)),
      heapUsedBytes: extentOf(inPhase(this.#heapUsed)),
      heapTotalBytes: extentOf(inPhase(this.#heapTotal)),
      gc: summariseGc(pauses, startEpochMs, endEpochMs),
      windows,
    };
  }
}
