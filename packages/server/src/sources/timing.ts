/**
 * @module sources/timing
 * The waiting every source loop does: a sleep that a notification (or stop) cuts short, and a
 * capped exponential backoff for reconnects and retries.
 */

/** A sleep that `wake()` ends early; a wake with nobody sleeping makes the next sleep return at once. */
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  wake(): void {
    if (this.#resolve) {
      this.#resolve();
      this.#resolve = undefined;
    } else this.#pending = true;
  }

  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = undefined;
        resolve();
      }, ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** 100 ms, 200 ms, … up to `maxMs`, with up to 25 % jitter; `reset()` after a success. */
export class Backoff {
  #attempt = 0;
  constructor(
    readonly baseMs = 100,
    readonly maxMs = 5000,
  ) {}

  next(): number {
    const ms = Math.min(this.maxMs, this.baseMs * 2 ** this.#attempt++);
    return Math.round(ms * (1 + Math.random() / 4));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
