/**
 * Frames a subscriber has queued for its socket in the current turn, written as one buffer.
 * Shared by the protocol connections that write straight to a byte socket (Pusher, seeds).
 */

/** Outbox size at which a connection is written at once instead of at the hub's next flush. */
const EARLY_FLUSH_BYTES = 64 * 1024;

export class Outbox {
  #frames: Buffer[] = [];
  #bytes = 0;

  /** Whether `frame` would take the queue plus the socket's own unsent bytes past `limit`. */
  overflows(frame: Buffer, socketBytes: number, limit: number): boolean {
    return this.#bytes + frame.length + socketBytes > limit;
  }

  /**
   * Queue `frame`; true when the queue should be written now: a burst within one turn must not
   * count against a client that reads fine, so big batches go to the socket at once.
   */
  push(frame: Buffer, limit: number): boolean {
    this.#frames.push(frame);
    this.#bytes += frame.length;
    return this.#bytes >= Math.min(EARLY_FLUSH_BYTES, limit / 2);
  }

  /** Everything queued as one buffer (none when empty); the outbox is empty afterwards. */
  take(): Buffer | undefined {
    if (this.#frames.length === 0) return undefined;
    const data = this.#frames.length === 1 ? this.#frames[0]! : Buffer.concat(this.#frames, this.#bytes);
    this.clear();
    return data;
  }

  clear(): void {
    this.#frames = [];
    this.#bytes = 0;
  }
}
