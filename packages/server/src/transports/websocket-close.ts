/**
 * Closing every live WebSocket of a listener at shutdown: shared by Herald's own WebSocket
 * transport and the Pusher-compatible one, which keep their sockets the same way.
 */
import type { WebSocket } from 'ws';

/**
 * Ask each connection to close with `code`/`reason`, wait for the sockets to close (at most
 * `timeoutMs`), then terminate whichever are still open.
 */
export async function closeWebSockets(
  live: ReadonlyMap<WebSocket, { connection: { close(code: number, reason: string): unknown } }>,
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
