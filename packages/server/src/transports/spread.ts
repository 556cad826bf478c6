/**
 * @module transports/spread
 * Periodic work over every connection, spread over the period: each tick visits the next slice,
 * so at 10 000 sockets a heartbeat is ten small bursts of writes instead of one ~100 ms block of
 * the event loop that delays every delivery queued behind it.
 */

const SLICES = 10;

/** Visit every entry of `map` about once per `periodMs`, one slice per tick; returns the timer to clear. */
export function visitSpread<K, V>(map: Map<K, V>, periodMs: number, visit: (key: K, value: V) => void): NodeJS.Timeout {
  // A Map iterator survives inserts and deletes: new entries are reached later in the same round.
  let cursor = map.entries();
  return setInterval(() => {
    for (let budget = Math.ceil(map.size / SLICES); budget > 0; budget--) {
      let next = cursor.next();
      if (next.done) {
        cursor = map.entries();
        next = cursor.next();
        if (next.done) return;
      }
      visit(...next.value);
    }
  }, periodMs / SLICES).unref();
}
