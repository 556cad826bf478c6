/**
 * @module hub/pacing
 * When the hub writes its dirty sockets: at once after a quiet spell, later while busy.
 *
 * Why (docs/benchmarks.md, "Sequential publisher"): each write is a syscall, and a publisher that
 * awaits every publish makes one event-loop turn, hence one write per subscriber, per
 * publication. Holding the next flush until `write_delay_ms` after the previous one lets the
 * publications of consecutive turns share a write, while a publication that follows a quiet spell
 * (no flush within its delay) is written in the same turn as before, so light load pays nothing.
 * The delay a publication can see is bounded by its namespace's `write_delay_ms` (plus the timer's
 * 1 ms resolution); 0 writes every turn.
 */
export class FlushPacing {
  /** performance.now() when the last flush left nothing dirty. */
  #lastFlush = -Infinity;
  /** When what is held must be written; Infinity while nothing is held. */
  #deadline = Infinity;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;

  /** `wake` is called (from a timer) when held work falls due. */
  constructor(private readonly wake: () => void) {}

  /** Work of a namespace with this delay was queued: it is due now, or `delayMs` after the last flush. */
  due(delayMs: number): void {
    const now = performance.now();
    const at = now - this.#lastFlush >= delayMs ? now : this.#lastFlush + delayMs;
    if (at < this.#deadline) this.#deadline = at;
  }

  isDue(): boolean {
    return performance.now() >= this.#deadline;
  }

  /**
   * Nothing dirty is left: nothing is held. After a flush of everything (`full`) the next work is
   * measured from now; writing only replies does not count, so it never delays a publication.
   */
  flushed(full: boolean): void {
    if (full) this.#lastFlush = performance.now();
    this.#deadline = Infinity;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = Infinity;
    }
  }

  /** Wake the hub at the deadline (a no-op when a timer for it, or an earlier one, is set). */
  arm(): void {
    if (this.#deadline === Infinity || this.#armedFor <= this.#deadline) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = this.#deadline;
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(this.#deadline - performance.now())));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    // libuv's clock is cached and whole milliseconds: the timer may fire a fraction early.
    this.#deadline = Math.min(this.#deadline, performance.now());
    this.wake();
  };
}
