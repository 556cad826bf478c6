/**
 * @module ipc
 * Messages between the orchestrator (run.ts / harness.ts) and the load-generator process. The
 * generator is a separate process so it can be pinned to its own core, apart from the server.
 */
import type { Protocol } from './client/subscriber.js';
import type { PublishTarget } from './gen/publisher.js';
import type { CpuUsage } from './proc.js';
import type { GcSummary } from './stats/gc.js';
import type { LatencySummary } from './stats/histogram.js';

export interface ConnectRequest {
  cmd: 'connect';
  protocol: Protocol;
  host: string;
  /** Subscriber i connects to ports[i % ports.length]: an even split across a target's nodes. */
  ports: number[];
  subscribers: number;
  /** Handshakes in flight at once; bounded so the server's accept backlog never overflows. */
  concurrency: number;
  timeoutMs: number;
}

export interface ConnectResult {
  cmd: 'connect';
  ready: number;
  failed: number;
  ms: number;
  firstError?: string;
}

/** latency: a low fixed rate; peak: closed-loop publishers; steady: a fixed rate for minutes (tail, heap, GC). */
export type PhaseKind = 'latency' | 'peak' | 'steady';

export interface PhaseRequest {
  cmd: 'phase';
  kind: PhaseKind;
  target: PublishTarget;
  /** Server-side pids whose CPU is sampled over the phase (every node, worker, Redis). */
  serverPids: number[];
  durationS: number;
  /** latency, steady: broadcasts per second. */
  rate: number;
  /** steady: seconds per window of the latency breakdown (by publish time). */
  windowS?: number;
  /** peak: concurrent keep-alive publishers. */
  publishers: number;
  /** peak: at most this many publications (times subscribers) may be undelivered; 0 = no limit. */
  window: number;
  /** Safety bound on deliveries one phase may expect; limits publications at large N. */
  maxDeliveries: number;
  payloadBytes: number;
}

export interface Extent {
  min: number;
  max: number;
}

/** The steady phase's extra figures, measured in the generator. */
export interface SteadyDetail {
  /** Epoch ms of the first publish and of the end of publishing: the windows' frame. */
  startEpochMs: number;
  endEpochMs: number;
  windowS: number;
  /** Delivery latency per window, deliveries binned by when they were published. */
  windows: LatencySummary[];
  /** Round trip of every publish POST (request written to response end), over the phase. */
  post: LatencySummary;
  /** The generator's own heap and GC over the phase, so its pauses can be told from the server's. */
  generator: { heapUsedBytes: Extent; rssBytes: Extent; gc: GcSummary; gcWindows: GcSummary[] };
}

export interface PhaseResult {
  cmd: 'phase';
  kind: PhaseKind;
  subscribers: number;
  published: number;
  publishFailed: number;
  /** First failing HTTP status, if any. */
  publishFailStatus?: number;
  expected: number;
  received: number;
  /** Distinct deliveries that had arrived when publishing stopped (the CPU window). */
  receivedInWindow: number;
  lost: number;
  duplicates: number;
  stray: number;
  malformed: number;
  /** Subscribers whose connection closed during the phase. */
  disconnected: number;
  latency: LatencySummary;
  /** Publications accepted per second over the publishing window. */
  publishesPerSec: number;
  /** Distinct deliveries per second from the first publish to the last delivery. */
  deliveriesPerSec: number;
  /** Seconds from the first publish to the last delivery. */
  spanS: number;
  /** True if the backlog window was full and no delivery arrived for the stall timeout. */
  stalled: boolean;
  /** CPU over the publishing window: procs = [server side, generator]. */
  cpu: CpuUsage;
  steady?: SteadyDetail;
}

export interface StopRequest {
  cmd: 'stop';
}

export type GeneratorRequest = ConnectRequest | PhaseRequest | StopRequest;
export type GeneratorReply = ConnectResult | PhaseResult | { cmd: 'error'; message: string };
