/**
 * @module transports/websocket
 * WebSocket transport. The protocol layer is Herald's own (`ws/`: handshake, frame reading, UTF-8
 * and size checks, ping/pong, close handshake), one small object per connection instead of
 * `ws`'s three (docs/benchmarks.md, "Memory per idle connection"); Herald writes its pre-built
 * data frames straight to the socket, so one encoded frame serves every subscriber and one write
 * carries everything queued.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { CloseCode, ErrorCode, type ConnectedFrame, type ServerFrame, type StreamPosition } from '@herald/protocol';
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
import { answerHandshake, checkHandshake, isRefusal, refuseHandshake } from './ws/handshake.js';
import { WebSocketPeer, type PeerSettings, type WebSocketProtocolError } from './ws/peer.js';
import type { Logger } from 'pino';
import { SpreadMap, visitSpread } from './spread.js';
import { onceDrained } from './drain.js';
import { httpAnswer } from '../http-answer.js';

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

/** What every WebSocket of the endpoint shares: the peer's settings and where its events go. */
interface EndpointSettings extends PeerSettings {
  log: Logger;
  /** The socket closed: forget the transport. */
  closed(transport: WebSocketTransport): void;
}

/** A WebSocket that carries a Herald connection: the protocol peer is the transport itself (one object per connection). */
class WebSocketTransport extends WebSocketPeer<EndpointSettings> implements Transport {
  readonly name = 'websocket' as const;
  readonly encoder = encoder;
  /**
   * The socket's bytes read at the last ping: a pong, like any frame, moves it, so a peer that
   * has not is gone. (Noting pongs per socket would cost memory for nothing more.)
   */
  readAtPing = -1;
  /** Set once the Connection on this transport is made. */
  connection!: Connection;

  write(data: Buffer): void {
    if (this.isOpen) this.socket.write(data);
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  onceDrained(listener: () => void): void {
    onceDrained(this.socket, listener);
  }

  protected onText(text: string): void {
    this.connection.handleText(text);
  }

  protected onBinary(): void {
    this.connection.close(CloseCode.UnsupportedData, 'binary frames are not supported; send JSON text');
  }

  // Bad UTF-8 (1007), oversize (1009) and broken framing (1002) close the connection in the peer.
  protected onProtocolError(err: WebSocketProtocolError): void {
    this.settings.log.debug({ err: err.message, client: this.connection.id }, 'websocket error');
  }

  protected onClosed(): void {
    this.settings.closed(this);
    this.connection.transportClosed();
  }
}

/** A WebSocket opened only to say why it is refused (an error frame, a close code), then closed. */
class RefusedWebSocket extends WebSocketPeer {
  protected onText(): void {}
  protected onBinary(): void {}
  protected onProtocolError(): void {}
  protected onClosed(): void {}
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
export { closeReason } from './ws/frame.js';

/**
 * A socket's error listener until the peer has it (accept() removes it: the peer then handles errors).
 * Module level on purpose: a closure made in handleUpgrade would hold that call's scope, the
 * upgrade request and its head buffer included.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * Answer the handshake; false (socket refused or destroyed) if the request is no WebSocket
 * handshake or the client is gone. Checked after the origin and auth checks, as `ws` did.
 */
function upgrade(req: IncomingMessage, socket: Duplex): socket is Socket {
  const handshake = checkHandshake(req);
  if (isRefusal(handshake)) {
    refuseHandshake(socket, handshake);
    return false;
  }
  // The client may have gone (sent its FIN) while it was being authenticated.
  if (!socket.readable || !socket.writable) {
    socket.destroy();
    return false;
  }
  answerHandshake(socket, handshake);
  return true;
}

/** Refuse an upgrade with the HTTP status and JSON body of the error. */
function rejectUpgrade(socket: Duplex, error: HeraldError): void {
  const body = JSON.stringify({ error: error.toBody() });
  socket.end(httpAnswer(error.status, body, 'application/json'));
}

export interface WebSocketEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connections: number;
  /** Close every connection with `code` and resolve when all are gone (or cut after `timeoutMs`). */
  closeAll(code: number, reason: string, timeoutMs: number): Promise<void>;
}

export function createWebSocketEndpoint(options: WebSocketOptions): WebSocketEndpoint {
  const { context } = options;
  const live = new SpreadMap<WebSocketTransport, WebSocketTransport>();
  const settings: EndpointSettings = {
    maxPayload: context.limits.max_frame_bytes,
    log: context.log,
    closed: (transport) => live.delete(transport),
  };
  /** Refused sockets have no Herald connection; their size limit is the same. */
  const refusedSettings: PeerSettings = { maxPayload: context.limits.max_frame_bytes };

  // One timer for all connections: per-connection timers cost memory at 10k+ sockets.
  const heartbeat = visitSpread(live, options.heartbeatSeconds * 1000, (transport) => {
    const read = transport.socket.bytesRead;
    if (read === transport.readAtPing) return transport.terminate();
    transport.readAtPing = read;
    transport.ping();
  });

  function accept(socket: Socket, head: Buffer, identity: ClientIdentity, address: string, since: Map<string, StreamPosition>): void {
    const transport = new WebSocketTransport(socket, settings);
    const connection = (transport.connection = new Connection(context, transport, identity, address));
    live.set(transport, transport);
    transport.attach(head);
    socket.removeListener('error', destroySocket);
    if (!context.accepting()) {
      transport.close(CloseCode.ServiceRestart, 'node is shutting down; reconnect');
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

  /** Upgrade only to say why, with an error frame (if any) and a close code (browsers cannot read a refused upgrade). */
  function refuseAfterUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, error: HeraldError, code: number, withFrame: boolean): void {
    if (!upgrade(req, socket)) return;
    const peer = new RefusedWebSocket(socket, refusedSettings);
    peer.attach(head);
    socket.removeListener('error', destroySocket);
    if (withFrame) socket.write(textFrame(JSON.stringify({ type: 'error', error: error.toBody() })));
    peer.close(code, error.message);
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
        (identity) => {
          if (upgrade(req, socket)) accept(socket, head, identity, context.addressOf(req), since);
        },
        (err: unknown) => {
          const error = err instanceof HeraldError ? err : new HeraldError(ErrorCode.Internal, 'internal error');
          // The connect hook refused (its code reaches the client) or did not answer (retry later).
          if (error instanceof HookRefused) return refuseAfterUpgrade(req, socket, head, error, CloseCode.Forbidden, true);
          if (error.code === ErrorCode.Unavailable) return refuseAfterUpgrade(req, socket, head, error, CloseCode.TryAgainLater, true);
          if (error.code !== ErrorCode.Unauthorized) return rejectUpgrade(socket, error);
          // Browsers cannot read an HTTP status from a failed upgrade: say why with a close code.
          const code = error.reason === TokenReason.Expired ? CloseCode.TokenExpired : error.reason === TokenReason.Blocked ? CloseCode.UserBlocked : CloseCode.Unauthorized;
          refuseAfterUpgrade(req, socket, head, error, code, false);
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
