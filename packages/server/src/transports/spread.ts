/**
 * @module transports/spread
 * Periodic work over every connection, spread over the period: each tick visits the next slice,
 * so at 10 000 sockets a heartbeat is ten small bursts of writes instead of one ~100 ms block of
 * the event loop that delays every delivery queued behind it.
 *
 * The slices are dealt when entries are added, not walked with one Map iterator across ticks: a
 * live iterator pins the Map's table of its last step, and every table the Map rehashes into
 * after it, with every entry ever stored in them. Under connection churn that kept each closed
 * connection (socket, `ws` state, Connection) alive until the iterator moved on, up to a whole
 * period: hundreds of MB of RSS at ~1 000 connects per second (docs/capacity.md).
 */

const SLICES = 10;

/** A Map whose keys are also dealt, in turn, into SLICES groups as they are added. */
export class SpreadMap<K, V> extends Map<K, V> {
  readonly #slices: Array<Set<K>> = Array.from({ length: SLICES }, () => new Set<K>());
  #next = 0;

  constructor() {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key)) this.#slices[this.#next++ % SLICES]!.add(key);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    for (const slice of this.#slices) if (slice.delete(key)) break;
    return super.delete(key);
  }

  override clear(): void {
    for (const slice of this.#slices) slice.clear();
    super.clear();
  }

  /** The keys dealt into group `i`. */
  slice(i: number): ReadonlySet<K> {
    return this.#slices[i % SLICES]!;
  }
}

/**
 * Visit every entry of `map` once per `periodMs`, one slice per tick; returns the timer to clear.
 * An entry keeps its slice, so it is visited exactly one period after the last time (a socket is
 * pinged, then checked a period later); an added entry is reached within one period.
 */
export function visitSpread<K, V>(map: SpreadMap<K, V>, periodMs: number, visit: (key: K, value: V) => void): NodeJS.Timeout {
  let tick = 0;
  return setInterval(() => {
    // Walked to the end within the tick: no iterator outlives it. Deleting while walking is safe.
    for (const key of map.slice(tick++)) visit(key, map.get(key)!);
  }, periodMs / SLICES).unref();
}
