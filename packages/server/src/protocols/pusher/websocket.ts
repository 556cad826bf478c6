/**
 * @module protocols/pusher/websocket
 * pusher-js's `ws`/`wss` transport: `GET /app/{key}?protocol=7` upgraded on Herald's port. Refusals
 * are made after the upgrade, as a `pusher:error` and a close code from Pusher's table, because
 * that is what pusher-js acts on (an HTTP error status would leave it retrying in silence).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { SpreadMap, visitSpread } from '../../transports/spread.js';
import { closeWebSockets } from '../../transports/websocket-close.js';
import { textFrame } from '../../transports/websocket-frame.js';
import type { Admission } from './admission.js';
import type { PusherApp } from './apps.js';
import { createPusherEncoder, controlJson, PusherCode } from './codec.js';
import { PusherConnection, type PusherContext, type PusherSocket } from './connection.js';

/** One encoder for every Pusher WebSocket: a publication is framed once for all of them. */
const encoder = createPusherEncoder(textFrame);

class WebSocketCarrier implements PusherSocket {
  readonly encoder = encoder;
  /** Cleared on every liveness round; set by any pong or inbound frame. */
  alive = true;
  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
  ) {}

  write(data: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.socket.write(data);
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason.slice(0, 120));
  }
}

export interface PusherWebSocketOptions {
  context: PusherContext;
  admission: Admission;
  activityTimeoutSeconds: number;
}

export interface PusherWebSocketEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, key: string): void;
  readonly connections: number;
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

export function createPusherWebSocketEndpoint(options: PusherWebSocketOptions): PusherWebSocketEndpoint {
  const { context } = options;
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: context.limits.max_frame_bytes });
  const live = new SpreadMap<WebSocket, { carrier: WebSocketCarrier; connection: PusherConnection }>();

  // pusher-js pings after activity_timeout of silence; the server pings too (WebSocket pings,
  // answered by every client library) and drops a peer silent for a whole round: 4201.
  const liveness = visitSpread(live, options.activityTimeoutSeconds * 1000 + 30_000, (ws, { carrier, connection }) => {
    if (!carrier.alive) return connection.close(PusherCode.PongNotReceived, 'Pong reply not received');
    carrier.alive = false;
    ws.ping();
  });

  function accept(ws: WebSocket, socket: Socket, app: PusherApp): void {
    const carrier = new WebSocketCarrier(ws, socket);
    const connection = new PusherConnection(context, app, carrier);
    live.set(ws, { carrier, connection });
    const closed = options.admission.opened(app);
    ws.on('pong', () => (carrier.alive = true));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      carrier.alive = true;
      if (isBinary) connection.handleBinary();
      else connection.handleText(data.toString('utf8'));
    });
    ws.on('error', (err) => context.log.debug({ err: err.message, socket: connection.id }, 'pusher websocket error'));
    ws.on('close', () => {
      live.delete(ws);
      closed();
      connection.transportClosed();
    });
    connection.established(options.activityTimeoutSeconds);
  }

  return {
    handleUpgrade(req, socket, head, key) {
      socket.on('error', () => socket.destroy());
      wss.handleUpgrade(req, socket, head, (ws) => {
        const { app, refused } = options.admission.check(key, req);
        if (!refused) return accept(ws, socket as Socket, app!);
        ws.on('error', () => {});
        ws.send(controlJson('pusher:error', { code: refused[0], message: refused[1] }));
        ws.close(refused[0], refused[1]);
      });
    },
    get connections() {
      return live.size;
    },
    async closeAll(code, reason, timeoutMs) {
      clearInterval(liveness);
      await closeWebSockets(live, code, reason, timeoutMs);
    },
  };
}
