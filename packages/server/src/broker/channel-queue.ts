/**
 * @module broker/channel-queue
 * Runs tasks one at a time per channel, in the order they were queued; different channels run
 * side by side. The NATS engine appends through it: a conditional append names the sequence of
 * the channel's last message, so two appends of one node in flight at once would always make one
 * of them fail against the other. Hand-written rather than a library: a promise chain per key is
 * the whole of it.
 */

const ignore = (): void => {};

export class ChannelQueue {
  /** The last queued task per channel, settled either way; gone once the channel's queue is empty. */
  readonly #tails = new Map<string, Promise<void>>();

  /** `task` runs once every task queued before it on `channel` has settled; its result is returned. */
  run<T>(channel: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(channel);
    const result = previous ? previous.then(task) : task();
    const tail = result.then(ignore, ignore);
    this.#tails.set(channel, tail);
    void tail.then(() => {
      if (this.#tails.get(channel) === tail) this.#tails.delete(channel);
    });
    return result;
  }

  /** Channels with a task running or queued (bounded by the publishes in flight, not by the channels ever used). */
  get size(): number {
    return this.#tails.size;
  }
}
