/**
 * @module transports/ws/frame
 * RFC 6455 constants and the control frames the server sends (close, ping, pong). Data frames
 * are built once per message for every subscriber by `../websocket-frame.ts`.
 */

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** Close codes the server uses for the peer's faults (RFC 6455 §7.4.1). */
export const ProtocolClose = {
  /** Sent when no status came with the peer's close frame; never put on the wire itself. */
  NoStatus: 1005,
  ProtocolError: 1002,
  InvalidData: 1007,
  MessageTooBig: 1009,
} as const;

/** A control frame's payload is at most 125 bytes (§5.5); a close frame's reason, 123 after its code. */
export const MAX_CONTROL_PAYLOAD = 125;
const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/** Codes a close frame may carry (§7.4): the registered ones that are meant for the wire, and 3000–4999. */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** A close reason that fits in a close frame: cut at a character boundary with `...` when longer than 123 bytes. */
export function closeReason(reason: string): string {
  return Buffer.byteLength(reason) <= MAX_CLOSE_REASON ? reason : Buffer.from(reason).subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}

/** A server (unmasked) control frame with `payload` (at most 125 bytes). */
export function controlFrame(opcode: number, payload?: Buffer): Buffer {
  const length = payload?.length ?? 0;
  const frame = Buffer.allocUnsafe(2 + length);
  frame[0] = 0x80 | opcode;
  frame[1] = length;
  payload?.copy(frame, 2);
  return frame;
}

/** One ping frame (no payload) for every heartbeat: the peer's pong is read from the socket's byte count. */
export const PING_FRAME = controlFrame(Opcode.Ping);

/** A close frame: `code` and `reason` (cut to fit), or no payload for NoStatus (§5.5.1). */
export function closeFrame(code: number, reason = ''): Buffer {
  if (code === ProtocolClose.NoStatus) return controlFrame(Opcode.Close);
  const text = closeReason(reason);
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(text));
  payload.writeUInt16BE(code, 0);
  payload.write(text, 2, 'utf8');
  return controlFrame(Opcode.Close, payload);
}
