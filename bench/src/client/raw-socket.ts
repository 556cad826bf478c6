/**
 * @module client/raw-socket
 * The TCP side shared by the raw WebSocket and SSE clients: one read buffer for every socket in
 * the process (net copies incoming bytes into it and calls back synchronously before the next
 * read, so sharing is safe as long as nothing keeps a reference past the callback — partial
 * frames and lines are copied out), and the socket's end, error or close reported once.
 */
import { connect, type Socket } from 'node:net';

const SHARED_READ = Buffer.allocUnsafe(256 * 1024);

export interface RawSocketOptions {
  host: string;
  port: number;
  /** Bytes `shared[0..nread)` are valid only during this call. */
  onRead(nread: number, shared: Buffer): void;
  /** The socket ended, failed or closed; called for each of those, so make it idempotent. */
  onEnd(reason: string): void;
}

export function connectRaw(opts: RawSocketOptions): Socket {
  const socket = connect({
    host: opts.host,
    port: opts.port,
    noDelay: true,
    onread: {
      buffer: SHARED_READ,
      callback: (n: number, buf: Uint8Array) => {
        opts.onRead(n, buf as Buffer);
        return true;
      },
    },
  });
  socket.on('error', (err) => opts.onEnd(`socket error: ${err.message}`));
  socket.on('close', () => opts.onEnd('socket closed'));
  socket.on('end', () => opts.onEnd('eof'));
  return socket;
}
