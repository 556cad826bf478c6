/**
 * @module protocols/seeds/websocket
 * The WebSocket side shared by the seed adapters: `ws` completes the upgrade, a SeedConnection
 * is made over it, and one timer pings every socket (spread over the period, as the native
 * endpoint does). Refusals before the upgrade are plain HTTP answers, as the seeds gave them.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode } from '@herald/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientIdentity } from '../../auth/access.js';
import type { ConnectionContext } from '../../connection/connection.js';
import { TokenBucket } from '../../connection/rate-limit.js';
import type { Encoder } from '../../hub/subscriber.js';
import { SpreadMap, visitSpread } from '../../transports/spread.js';
import { closeReason } from '../../transports/websocket.js';
import { SeedConnection, type SeedSocket } from './connection.js';
import { httpAnswer } from '../../http-answer.js';

export interface SeedWebSocketOptions {
  context: ConnectionContext;
  heartbeatSeconds: number;
  maxConnections: number;
  /** Streaming connections open on this node, every protocol and transport together. */
  connections(): number;
}

/** Answer an upgrade request with an HTTP status instead (the seeds' clients read it: `Unexpected server response: 401`). */
export function refuseUpgrade(socket: Duplex, status: number, body = '', contentType = 'text/plain; charset=utf-8'): void {
  socket.end(httpAnswer(status, body, body === '' ? undefined : contentType));
}

class WsSocket implements SeedSocket {
  alive = true;
  constructor(
    readonly ws: WebSocket,
    readonly raw: Socket,
  ) {}

  write(data: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.raw.write(data);
  }

  bufferedBytes(): number {
    return this.raw.writableLength;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, closeReason(reason));
  }
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

export class SeedWebSockets {
  readonly #wss: WebSocketServer;
  readonly #live = new SpreadMap<WebSocket, { socket: WsSocket; connection: SeedConnection }>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(readonly options: SeedWebSocketOptions) {
    this.#wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: options.context.limits.max_frame_bytes });
    this.#heartbeat = visitSpread(this.#live, options.heartbeatSeconds * 1000, (ws, { socket }) => {
      if (!socket.alive) return ws.terminate();
      socket.alive = false;
      ws.ping();
    });
  }

  get size(): number {
    return this.#live.size;
  }

  /** Call first thing on an upgrade this module will answer: a socket error must never become an uncaught one. */
  guard(socket: Duplex): void {
    socket.on('error', destroySocket);
  }

  /**
   * Complete the upgrade; `ready` gets the connection and is told each text frame through its
   * return value. Refused (1012 / 1013) when the node is closing or full, like native sockets.
   */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    encoder: Encoder,
    identity: ClientIdentity,
    ready: (connection: SeedConnection) => ((text: string) => void) | undefined,
    idPrefix?: string,
  ): void {
    const { context } = this.options;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const wsSocket = new WsSocket(ws, socket as Socket);
      const connection = new SeedConnection(context, encoder, wsSocket, 'websocket', identity, idPrefix);
      this.#live.set(ws, { socket: wsSocket, connection });
      ws.on('pong', () => (wsSocket.alive = true));
      ws.on('error', (err) => context.log.debug({ err: err.message, client: connection.id }, 'seed websocket error'));
      ws.on('close', () => {
        this.#live.delete(ws);
        connection.transportClosed();
      });
      if (!context.accepting()) return connection.close(CloseCode.ServiceRestart, 'node is shutting down; reconnect');
      if (this.options.connections() > this.options.maxConnections) return connection.close(CloseCode.TryAgainLater, 'node is at its connection limit; retry later');
      const onText = ready(connection);
      const limiter = new TokenBucket(context.limits.client_messages_per_second);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        wsSocket.alive = true;
        if (isBinary || !onText || connection.closed) return; // the seeds ignored binary frames
        if (!limiter.take()) return connection.close(CloseCode.RateLimited, `rate limit: more than ${limiter.rate} frames per second`);
        onText(data.toString('utf8'));
      });
    });
  }

  async closeAll(code: number, reason: string, timeoutMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    const closing = [...this.#live.entries()].map(
      ([ws, { connection }]) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          connection.close(code, reason);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    for (const ws of this.#live.keys()) ws.terminate();
  }
}
