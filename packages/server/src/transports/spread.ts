/**
 * @module transports/spread
 * Periodic work over every connection, spread over the period: each tick visits the next slice,
 * so at 10 000 sockets a heartbeat is ten small bursts of writes instead of one ~100 ms block of
 * the event loop that delays every delivery queued behind it.
 */

const SLICES = 10;

/** Visit every entry of `map` once per `periodMs`, one slice per tick; returns the timer to clear. */
export function visitSpread<K, V>(map: Map<K, V>, periodMs: number, visit: (key: K, value: V) => void): NodeJS.Timeout {
  let cursor = map.entries();
  let perTick = 0;
  let tick = 0;
  return setInterval(() => {
    // One round per period, whatever the size: a socket is pinged, then checked a period later.
    if (tick++ % SLICES === 0) {
      cursor = map.entries();
      perTick = Math.ceil(map.size / SLICES);
    }
    // A Map iterator survives inserts and deletes: entries added during the round come last, or in the next one.
    for (let i = 0; i < perTick; i++) {
      const next = cursor.next();
      if (next.done) return;
      visit(...next.value);
    }
  }, periodMs / SLICES).unref();
}
