/**
 * @module gen/recorder
 * Counts deliveries per (subscriber, sequence number) for one measured phase: first arrivals
 * go into the latency histogram, repeats are duplicates, and what never arrives is loss. One
 * flat bitset for all subscribers keeps this allocation-free on the hot path.
 */
import type { DeliverySink } from '../client/subscriber.js';
import { Histogram, type LatencySummary } from '../stats/histogram.js';

export interface PhaseCounts {
  received: number;
  duplicates: number;
  /** Deliveries whose seq belongs to no publication of this phase (e.g. late from the last one). */
  stray: number;
  malformed: number;
  latency: LatencySummary;
  firstDeliveryAt: number;
  lastDeliveryAt: number;
}

export class Recorder implements DeliverySink {
  private seen = new Uint8Array(0);
  private bytesPerSub = 0;
  private seqBase = 0;
  private seqLimit = 0;
  private hist = new Histogram();
  received = 0;
  private duplicates = 0;
  private stray = 0;
  private malformedCount = 0;
  firstDeliveryAt = 0;
  lastDeliveryAt = 0;
  /** Called after every counted delivery while set; the publisher's backlog window uses it. */
  onProgress: (() => void) | null = null;
  /** Steady phase: one more histogram per window of publish time (empty: no breakdown). */
  private windows: Histogram[] = [];
  private windowsFromUs = 0;
  private windowUs = 1;

  /**
   * Start a phase whose publications will use seqs in [seqBase, seqBase + maxSeqs); with
   * `windows`, latencies are also binned by publish time into `count` windows of `us` from `fromUs`.
   */
  begin(subscribers: number, seqBase: number, maxSeqs: number, windows?: { fromUs: number; us: number; count: number }): void {
    this.windows = windows ? Array.from({ length: windows.count }, () => new Histogram()) : [];
    this.windowsFromUs = windows?.fromUs ?? 0;
    this.windowUs = windows?.us ?? 1;
    this.bytesPerSub = Math.ceil(maxSeqs / 8);
    this.seen = new Uint8Array(subscribers * this.bytesPerSub);
    this.seqBase = seqBase;
    this.seqLimit = seqBase + maxSeqs;
    this.hist = new Histogram();
    this.received = 0;
    this.duplicates = 0;
    this.stray = 0;
    this.malformedCount = 0;
    this.firstDeliveryAt = 0;
    this.lastDeliveryAt = 0;
  }

  deliver(sub: number, seq: number, sentUs: number, nowMs: number): void {
    if (seq < this.seqBase || seq >= this.seqLimit) {
      this.stray++;
      return;
    }
    const rel = seq - this.seqBase;
    const idx = sub * this.bytesPerSub + (rel >> 3);
    const bit = 1 << (rel & 7);
    const byte = this.seen[idx]!;
    if (byte & bit) {
      this.duplicates++;
      return;
    }
    this.seen[idx] = byte | bit;
    this.received++;
    const us = nowMs * 1000 - sentUs;
    this.hist.record(us);
    const windows = this.windows;
    if (windows.length > 0) {
      const w = Math.floor((sentUs - this.windowsFromUs) / this.windowUs);
      windows[w < 0 ? 0 : w >= windows.length ? windows.length - 1 : w]!.record(us);
    }
    if (this.firstDeliveryAt === 0) this.firstDeliveryAt = nowMs;
    this.lastDeliveryAt = nowMs;
    if (this.onProgress !== null) this.onProgress();
  }

  malformed(_sub: number): void {
    this.malformedCount++;
  }

  /** Latency per window (see begin). */
  windowSummaries(): LatencySummary[] {
    return this.windows.map((h) => h.summary());
  }

  counts(): PhaseCounts {
    return {
      received: this.received,
      duplicates: this.duplicates,
      stray: this.stray,
      malformed: this.malformedCount,
      latency: this.hist.summary(),
      firstDeliveryAt: this.firstDeliveryAt,
      lastDeliveryAt: this.lastDeliveryAt,
    };
  }
}
