/**
 * @module gc
 * Forces a full garbage collection in a server process from outside, through the V8 inspector
 * (servers are started with `--inspect=127.0.0.1:0`). Without it, RSS "per connection" mostly
 * measures when V8 last collected: handshake garbage can double the figure at 1 000
 * connections, and V8's memory reducer later drops RSS below the zero-connection baseline.
 * Collecting before each sample measures what the connections actually retain.
 */
import WebSocket from 'ws';

/** The inspector's WebSocket URL from node's "Debugger listening on ws://..." line. */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output)?.[1];
}

/** Full, memory-reducing GC (HeapProfiler.collectGarbage) in the process behind `url`. */
export function forceGc(url: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('inspector: collectGarbage timed out'));
    }, timeoutMs);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      ws.close();
      if (err) reject(err);
      else resolve();
    };
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; error?: { message: string } };
      if (msg.id === 1) done(msg.error ? new Error(`inspector: ${msg.error.message}`) : undefined);
    });
    ws.on('error', (err) => done(err));
  });
}
