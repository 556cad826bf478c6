/**
 * @module transports/ws/handshake
 * The server side of the opening handshake (RFC 6455 §4.2): checking the upgrade request,
 * answering 101 with Sec-WebSocket-Accept, or refusing it. The checks, their order, statuses and
 * bodies are those of `ws` 8 (which Herald used before, and still uses for its other endpoints),
 * so clients see the same answers.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { httpAnswer } from '../../http-answer.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A base64-encoded 16-byte nonce (§4.1). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** An HTTP token (RFC 7230 §3.2.6), as a subprotocol name must be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface HandshakeRefusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export interface Handshake {
  key: string;
  /** The subprotocol answered: the client's first, as `ws` answers without a selection handler. */
  protocol: string | undefined;
}

/** Check an upgrade request: the handshake to answer, or why it is refused. */
export function checkHandshake(req: IncomingMessage): Handshake | HandshakeRefusal {
  if (req.method !== 'GET') return { status: 405, message: 'Invalid HTTP method' };
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') return { status: 400, message: 'Invalid Upgrade header' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  // Version 8 (hybi-10) frames the same way; `ws` accepts it too.
  const version = Number(req.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) {
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Version header', headers: { 'Sec-WebSocket-Version': '13, 8' } };
  }
  const offered = req.headers['sec-websocket-protocol'];
  let protocol: string | undefined;
  if (offered !== undefined) {
    protocol = firstSubprotocol(offered);
    if (protocol === undefined) return { status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
  }
  return { key, protocol };
}

export function isRefusal(result: Handshake | HandshakeRefusal): result is HandshakeRefusal {
  return 'status' in result;
}

/** The first name of a Sec-WebSocket-Protocol list, or undefined if the list is malformed (empty names, duplicates, non-tokens). */
function firstSubprotocol(header: string): string | undefined {
  const names = header.split(',').map((name) => name.trim());
  if (names.some((name) => !TOKEN.test(name)) || new Set(names).size !== names.length) return undefined;
  return names[0];
}

/** Sec-WebSocket-Accept for a client's key (§4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Answer 101 Switching Protocols. */
export function answerHandshake(socket: Duplex, handshake: Handshake): void {
  const protocol = handshake.protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${handshake.protocol}\r\n`;
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(handshake.key)}\r\n${protocol}\r\n`);
}

/** Refuse the upgrade with an HTTP answer (as `ws`: text body, Connection: close), then close the socket. */
export function refuseHandshake(socket: Duplex, refusal: HandshakeRefusal): void {
  socket.once('finish', socket.destroy);
  socket.end(httpAnswer(refusal.status, refusal.message, 'text/html', refusal.headers));
}
