/**
 * @module client/raw-socket
 * What the raw WebSocket and SSE clients share: the TCP socket with one read buffer for every
 * socket in the process (net copies incoming bytes into it and calls back synchronously before
 * the next read, so sharing is safe as long as nothing keeps a reference past the callback —
 * partial frames and lines are copied out), the request written on connect, and the end: closed
 * once, and the handler told once when the peer, an error or the protocol ended it.
 */
import { connect, type Socket } from 'node:net';

const SHARED_READ = Buffer.allocUnsafe(256 * 1024);

export abstract class RawClient {
  protected readonly socket: Socket;
  /** Closed by the caller or ended by the socket; a handler may close the client in the middle of a read. */
  protected closed = false;

  /** Connects to `host:port` and writes `request` (the HTTP request head) once connected. */
  constructor(host: string, port: number, request: string, private readonly onClose: (reason: string) => void) {
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: SHARED_READ,
        callback: (n: number, buf: Uint8Array) => {
          // Bytes `buf[0..n)` are valid only during this call.
          if (!this.closed && n > 0) this.onRead(n, buf as Buffer);
          return true;
        },
      },
    });
    this.socket.on('connect', () => this.socket.write(request));
    this.socket.on('error', (err) => this.finish(`socket error: ${err.message}`));
    this.socket.on('close', () => this.finish('socket closed'));
    this.socket.on('end', () => this.finish('eof'));
  }

  protected abstract onRead(nread: number, shared: Buffer): void;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  /** Close and tell the handler why (the socket ended, or the peer refused or broke the protocol). */
  protected finish(reason: string): void {
    if (this.closed) return;
    this.close();
    this.onClose(reason);
  }
}
