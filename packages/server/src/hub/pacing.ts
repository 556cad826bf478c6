/**
 * @module hub/pacing
 * When the hub writes its dirty sockets: at once after a quiet spell, later while busy.
 *
 * Why (docs/benchmarks.md, "Sequential publisher"): each write is a syscall, and a publisher that
 * awaits every publish makes one event-loop turn, hence one write per subscriber, per
 * publication. The hub writes in rounds (every dirty socket once, in slices of about a
 * millisecond of writes, between which I/O is polled, so publications that arrive meanwhile ride
 * along on the sockets the round has not reached yet); holding the next round until `write_delay_ms` after the previous one ended lets the
 * publications of consecutive turns share a write, while a publication that follows a quiet spell
 * (no round ended within its delay) is written in the same turn as before, so light load pays
 * nothing. A publication waits at most for the round being written plus its namespace's
 * `write_delay_ms` (plus the timer's 1 ms resolution); 0 starts the next round at once.
 */
export class FlushPacing {
  /** performance.now() when the last round of writes ended. */
  #lastFlush = -Infinity;
  /** When what is held must be written; Infinity while nothing is held. */
  #deadline = Infinity;
  /** True while a round is being written; work queued meanwhile is timed from its end. */
  #writing = false;
  /** The smallest delay of the work queued during the current round. */
  #pendingDelay = Infinity;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;

  /** `wake` is called (from a timer) when held work falls due. */
  constructor(private readonly wake: () => void) {}

  /** Work of a namespace with this delay was queued: it is due now, or `delayMs` after the last round. */
  due(delayMs: number): void {
    if (this.#writing) {
      if (delayMs < this.#pendingDelay) this.#pendingDelay = delayMs;
      return;
    }
    const now = performance.now();
    const at = now - this.#lastFlush >= delayMs ? now : this.#lastFlush + delayMs;
    if (at < this.#deadline) this.#deadline = at;
  }

  isDue(): boolean {
    return performance.now() >= this.#deadline;
  }

  roundStarted(): void {
    this.#writing = true;
    this.nothingHeld();
  }

  /** The round is written: what was queued meanwhile falls due its delay from now (at once for 0). */
  roundDone(): void {
    this.#writing = false;
    this.#lastFlush = performance.now();
    if (this.#pendingDelay < Infinity) this.#deadline = this.#lastFlush + this.#pendingDelay;
    this.#pendingDelay = Infinity;
  }

  /** Nothing waits for a round (replies alone were written, or a round began). */
  nothingHeld(): void {
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
