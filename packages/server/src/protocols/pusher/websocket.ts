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
import { originAllowed } from '../../auth/client.js';
import { SpreadMap, visitSpread } from '../../transports/spread.js';
import { textFrame } from '../../transports/websocket-frame.js';
import type { PusherApp, PusherApps } from './apps.js';
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
  apps: PusherApps;
  activityTimeoutSeconds: number;
  /** Streaming connections open on this node, every protocol together (limits.max_connections). */
  connections(): number;
  maxConnections: number;
  /** Connections of an app on this node, every Pusher transport together (its `max_connections`). */
  appConnections: Map<string, number>;
}

export interface PusherWebSocketEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, key: string): void;
  readonly connections: number;
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

/** Why a connection cannot be served, as Pusher's code and message; undefined when it can. */
export function refusal(app: PusherApp | undefined, req: IncomingMessage, options: Pick<PusherWebSocketOptions, 'connections' | 'maxConnections' | 'appConnections'>, accepting: boolean): [number, string] | undefined {
  if (!app) return [PusherCode.AppNotFound, 'App key does not exist'];
  if (!app.enabled) return [PusherCode.AppDisabled, 'App is disabled'];
  const protocol = new URL(req.url ?? '/', 'http://x').searchParams.get('protocol');
  if (protocol === null) return [4008, 'No protocol version supplied'];
  if (!/^[5-7]$/.test(protocol)) return [4007, `Unsupported protocol version ${protocol}`];
  if (!originAllowed(req.headers.origin, app.allowed_origins)) return [PusherCode.Unauthorized, 'Origin not allowed for this app'];
  if (!accepting) return [PusherCode.Reconnect, 'Node is shutting down; reconnect'];
  if (options.connections() >= options.maxConnections) return [PusherCode.OverCapacity, 'Node is at its connection limit'];
  if (app.max_connections > 0 && (options.appConnections.get(app.id) ?? 0) >= app.max_connections) return [PusherCode.OverCapacity, 'App is over its connection quota'];
  return undefined;
}

export function createPusherWebSocketEndpoint(options: PusherWebSocketOptions): PusherWebSocketEndpoint {
  const { context } = options;
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: context.limits.max_frame_bytes });
  const live = new SpreadMap<WebSocket, { carrier: WebSocketCarrier; connection: PusherConnection }>();
  const counts = options.appConnections;

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
    counts.set(app.id, (counts.get(app.id) ?? 0) + 1);
    ws.on('pong', () => (carrier.alive = true));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      carrier.alive = true;
      if (isBinary) connection.handleBinary();
      else connection.handleText(data.toString('utf8'));
    });
    ws.on('error', (err) => context.log.debug({ err: err.message, socket: connection.id }, 'pusher websocket error'));
    ws.on('close', () => {
      live.delete(ws);
      counts.set(app.id, (counts.get(app.id) ?? 1) - 1);
      connection.transportClosed();
    });
    connection.established(options.activityTimeoutSeconds);
  }

  return {
    handleUpgrade(req, socket, head, key) {
      socket.on('error', () => socket.destroy());
      const app = options.apps.byKey(key);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const refused = refusal(app, req, options, context.accepting());
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
      const closing = [...live.keys()].map(
        (ws) => new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          live.get(ws)?.connection.close(code, reason);
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closing), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      for (const ws of live.keys()) ws.terminate();
    },
  };
}
