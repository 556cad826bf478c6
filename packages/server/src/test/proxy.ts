/**
 * @module test/proxy
 * A TCP proxy on 127.0.0.1 in front of a test server, so a test can drop every client's
 * connection the way a network does (no goodbye from the server) and keep it down for a while.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface Proxy {
  url: string;
  /** Cut every open connection and refuse new ones until `up()`. */
  down(): void;
  up(): void;
  /** Connections accepted so far (a reconnect makes a new one). */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let isUp = true;
  let accepted = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!isUp) return client.destroy();
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    down() {
      isUp = false;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isUp = true;
    },
    get accepted() {
      return accepted;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
