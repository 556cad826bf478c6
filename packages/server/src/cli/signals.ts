/**
 * @module cli/signals
 * SIGTERM and SIGINT for `herald serve` from its first moments: loading its modules takes the
 * better part of a second (more on a busy machine), and a signal then would kill the process by
 * its default action, with no exit status; in a cluster worker, before the primary could tell a
 * clean stop. Until serve takes the signals over, one means "do not start": exit 0 at once.
 */
let stop: ((signal: NodeJS.Signals) => void) | undefined;
let listening = false;

// One listener for good: removing the last one drops a signal node has received but not yet
// dispatched, and a serve that got SIGTERM while it loaded would then run on.
function listen(): void {
  if (listening) return;
  listening = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stop ? stop(signal) : process.exit(0)));
}

/** From now until `onSignals`: a signal exits 0 (nothing has been started yet). */
export function exitOnEarlySignal(): void {
  listen();
}

/** SIGTERM and SIGINT go to `handler` from now on. */
export function onSignals(handler: (signal: NodeJS.Signals) => void): void {
  stop = handler;
  listen();
}
