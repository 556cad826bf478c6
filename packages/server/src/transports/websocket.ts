/**
 * @module transports/websocket
 * WebSocket transport. `ws` does the protocol work (handshake, parsing, UTF-8 and size checks,
 * ping/pong, close handshake); Herald writes its pre-built data frames straight to the socket,
 * so one encoded frame serves every subscriber and one write carries everything queued.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { CloseCode, ErrorCode, type ConnectedFrame, type ServerFrame, type StreamPosition } from '@herald/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import type { ChannelEvent, Publication } from '../broker/broker.js';
import { originAllowed, type ClientAuthenticator, type ClientIdentity } from '../auth/client.js';
import { TokenReason } from '../auth/jwt.js';
import { Connection, type ConnectionContext } from '../connection/connection.js';
import { endStaleServerChannels, parseServerSince, serverChannels, subscribeServerSide } from '../connection/server-subscriptions.js';
import { HookRefused } from '../hooks/hooks.js';
import { HeraldError } from '../errors.js';
import type { FrameEncoder, Transport } from '../connection/transport.js';
import type { MessageForm } from '../hub/subscriber.js';
import { messageJson, presenceEventFrame } from './message.js';
import { closeWebSockets } from './websocket-close.js';
import { textFrame } from './websocket-frame.js';
import { SpreadMap, visitSpread } from './spread.js';
import { onceDrained } from './drain.js';

export const encoder: FrameEncoder = {
  message(p: Publication, form?: MessageForm): Buffer {
    return textFrame(messageJson(p, form));
  },
  frame(frame: ServerFrame): Buffer {
    return textFrame(JSON.stringify(frame));
  },
  event(event: ChannelEvent): Buffer {
    return textFrame(JSON.stringify(presenceEventFrame(event)));
  },
};

class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const;
  readonly encoder = encoder;
  /**
   * The socket's bytes read at the last ping: a pong, like any frame, moves it, so a peer that
   * has not is gone. (A 'pong' listener per socket would cost memory for nothing more.)
   */
  readAtPing = -1;
  /** Set once the Connection on this transport is made. */
  connection!: Connection;
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

  onceDrained(listener: () => void): void {
    onceDrained(this.socket, listener);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, closeReason(reason));
  }
}

export interface WebSocketOptions {
  context: ConnectionContext;
  authenticate: ClientAuthenticator;
  allowedOrigins: readonly string[];
  nodeName: string;
  heartbeatSeconds: number;
  maxConnections: number;
  /** Streaming connections open on this node, all transports together (this one's included). */
  connections(): number;
}

/** A close reason must fit in a control frame: at most 123 bytes of UTF-8. */
export function closeReason(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : Buffer.from(reason).subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}

/**
 * A socket's error listener until `ws` has it (accept() removes it: `ws` then handles errors).
 * Module level on purpose: a closure made in handleUpgrade would hold that call's scope, the
 * upgrade request and its head buffer included.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Refuse an upgrade with the HTTP status and JSON body of the error. */
function rejectUpgrade(socket: Duplex, error: HeraldError): void {
  const body = JSON.stringify({ error: error.toBody() });
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export interface WebSocketEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connections: number;
  /** Close every connection with `code` and resolve when all are gone (or cut after `timeoutMs`). */
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

export function createWebSocketEndpoint(options: WebSocketOptions): WebSocketEndpoint {
  const { context } = options;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: context.limits.max_frame_bytes,
  });
  const live = new SpreadMap<WebSocket, WebSocketTransport>();

  // One timer for all connections: per-connection timers cost memory at 10k+ sockets.
  const heartbeat = visitSpread(live, options.heartbeatSeconds * 1000, (ws, transport) => {
    const read = transport.socket.bytesRead;
    if (read === transport.readAtPing) return ws.terminate();
    transport.readAtPing = read;
    ws.ping();
  });

  // The socket's listeners are these three functions, shared by every connection (`this` is the
  // WebSocket): closures per connection would cost memory for its whole life, and would pin
  // accept()'s scope (the handshake's `since` map included).
  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    const transport = live.get(this);
    if (!transport) return;
    if (isBinary) transport.connection.close(CloseCode.UnsupportedData, 'binary frames are not supported; send JSON text');
    else transport.connection.handleText(data.toString('utf8'));
  }
  // ws reports protocol violations (bad UTF-8 → 1007, oversize → 1009) here and closes itself.
  function onError(this: WebSocket, err: Error): void {
    context.log.debug({ err: err.message, client: live.get(this)?.connection.id }, 'websocket error');
  }
  function onClose(this: WebSocket): void {
    const transport = live.get(this);
    live.delete(this);
    transport?.connection.transportClosed();
  }

  function accept(ws: WebSocket, socket: Socket, identity: ClientIdentity, address: string, since: Map<string, StreamPosition>): void {
    socket.removeListener('error', destroySocket);
    const transport = new WebSocketTransport(ws, socket);
    const connection = (transport.connection = new Connection(context, transport, identity, address));
    live.set(ws, transport);
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
    if (!context.accepting()) {
      ws.close(CloseCode.ServiceRestart, 'node is shutting down; reconnect');
      return;
    }
    if (options.connections() > options.maxConnections) {
      connection.close(CloseCode.TryAgainLater, 'node is at its connection limit; retry later');
      return;
    }
    void connection.admit().then((admitted) => {
      if (!admitted) return;
      const connected: ConnectedFrame = { type: 'connected', client: connection.id, node: options.nodeName, ping: options.heartbeatSeconds };
      if (identity.user !== '') connected.user = identity.user;
      if (identity.data !== undefined) connected.data = identity.data;
      connection.sendFrame(connected);
      const channels = serverChannels(identity, context.personalNamespace);
      endStaleServerChannels(connection, channels, since);
      if (channels.length > 0) void subscribeServerSide(connection, channels, since);
    });
  }

  /** Upgrade only to say why with an error frame and a close code (browsers cannot read a refused upgrade). */
  function refuseAfterUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, error: HeraldError, code: number): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      ws.send(JSON.stringify({ type: 'error', error: error.toBody() }));
      ws.close(code, closeReason(error.message));
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', destroySocket);
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) {
        return rejectUpgrade(socket, new HeraldError(ErrorCode.Forbidden, 'origin not allowed'));
      }
      let since: Map<string, StreamPosition>;
      try {
        since = parseServerSince(new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('since'));
      } catch (err) {
        return rejectUpgrade(socket, err as HeraldError);
      }
      options.authenticate(req, 'websocket').then(
        (identity) => wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket as Socket, identity, context.addressOf(req), since)),
        (err: unknown) => {
          const error = err instanceof HeraldError ? err : new HeraldError(ErrorCode.Internal, 'internal error');
          // The connect hook refused (its code reaches the client) or did not answer (retry later).
          if (error instanceof HookRefused) return refuseAfterUpgrade(req, socket, head, error, CloseCode.Forbidden);
          if (error.code === ErrorCode.Unavailable) return refuseAfterUpgrade(req, socket, head, error, CloseCode.TryAgainLater);
          if (error.code !== ErrorCode.Unauthorized) return rejectUpgrade(socket, error);
          // Browsers cannot read an HTTP status from a failed upgrade: say why with a close code.
          const code = error.reason === TokenReason.Expired ? CloseCode.TokenExpired : error.reason === TokenReason.Blocked ? CloseCode.UserBlocked : CloseCode.Unauthorized;
          wss.handleUpgrade(req, socket, head, (ws) => {
            ws.on('error', () => {});
            ws.close(code, closeReason(error.message));
          });
        },
      );
    },
    get connections() {
      return live.size;
    },
    async closeAll(code, reason, timeoutMs) {
      clearInterval(heartbeat);
      await closeWebSockets(live, code, reason, timeoutMs);
    },
  };
}
