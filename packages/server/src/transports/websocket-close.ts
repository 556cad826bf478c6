/**
 * Closing every live WebSocket of a listener at shutdown: shared by Herald's own WebSocket
 * transport (its peers, `ws/peer.ts`) and the Pusher-compatible one (`ws` WebSockets), which
 * keep their sockets the same way.
 */

/** What both kinds of socket offer: a 'close' event and a cut. */
export interface ClosingSocket {
  once(event: 'close', listener: () => void): unknown;
  terminate(): void;
}

/**
 * Ask each connection to close with `code`/`reason`, wait for the sockets to close (at most
 * `timeoutMs`), then terminate whichever are still open.
 */
export async function closeWebSockets<K extends ClosingSocket>(
  live: ReadonlyMap<K, { connection: { close(code: number, reason: string): unknown } }>,
  code: number,
  reason: string,
  timeoutMs: number,
): Promise<void> {
  const closing = [...live.keys()].map(
    (ws) => new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      live.get(ws)?.connection.close(code, reason);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(closing), timeout]);
  clearTimeout(timer);
  for (const ws of live.keys()) ws.terminate();
}
