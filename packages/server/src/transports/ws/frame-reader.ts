/**
 * @module transports/ws/frame-reader
 * Reading one client frame's header (RFC 6455 §5.2) and unmasking its payload. The checks are
 * those a server without extensions owes (§5.1–5.5): the frame is masked, RSV bits are clear, the
 * opcode is known, a control frame is final and at most 125 bytes. The message-level checks
 * (fragment order, size, UTF-8) are the peer's (`peer.ts`), which knows the message in progress.
 */
import { MAX_CONTROL_PAYLOAD, Opcode, ProtocolClose } from './frame.js';

/** What `readHeader` found; reused for every frame (reading is synchronous), so parsing makes no garbage. */
export interface FrameHeader {
  fin: boolean;
  opcode: number;
  /** Bytes of header, mask key included: the payload starts this far into the frame. */
  headerBytes: number;
  payloadBytes: number;
  /** Where the 4-byte mask key starts in the buffer. */
  maskAt: number;
  /** Why the frame is refused: a close code and its message, when `readHeader` returns FRAME_INVALID. */
  closeCode: number;
  error: string;
}

export function frameHeader(): FrameHeader {
  return { fin: false, opcode: 0, headerBytes: 0, payloadBytes: 0, maskAt: 0, closeCode: 0, error: '' };
}

/** readHeader's results besides a positive count of bytes still missing. */
export const FRAME_READY = 0;
export const FRAME_INVALID = -1;

/**
 * Read the header of the frame at `buf[at]` into `header`. Returns FRAME_READY, FRAME_INVALID
 * (`header.closeCode`/`error` say why), or how many more bytes the header needs.
 */
export function readHeader(buf: Buffer, at: number, header: FrameHeader): number {
  const available = buf.length - at;
  if (available < 2) return 2 - available;
  const b0 = buf[at]!;
  const b1 = buf[at + 1]!;
  if ((b0 & 0x70) !== 0) return invalid(header, ProtocolClose.ProtocolError, 'RSV1, RSV2 and RSV3 must be clear');
  const opcode = b0 & 0x0f;
  const fin = (b0 & 0x80) !== 0;
  let length = b1 & 0x7f;
  if (opcode >= Opcode.Close) {
    if (opcode > Opcode.Pong) return invalid(header, ProtocolClose.ProtocolError, `invalid opcode ${opcode}`);
    if (!fin) return invalid(header, ProtocolClose.ProtocolError, 'FIN must be set');
    if (length > MAX_CONTROL_PAYLOAD || (opcode === Opcode.Close && length === 1)) {
      return invalid(header, ProtocolClose.ProtocolError, `invalid payload length ${length}`);
    }
  } else if (opcode > Opcode.Binary) {
    return invalid(header, ProtocolClose.ProtocolError, `invalid opcode ${opcode}`);
  }
  if ((b1 & 0x80) === 0) return invalid(header, ProtocolClose.ProtocolError, 'MASK must be set');
  let headerBytes = 6;
  if (length === 126) {
    headerBytes = 8;
    if (available < headerBytes) return headerBytes - available;
    length = buf.readUInt16BE(at + 2);
  } else if (length === 127) {
    headerBytes = 14;
    if (available < headerBytes) return headerBytes - available;
    const high = buf.readUInt32BE(at + 2);
    // Beyond 2^53 - 1 a length is not a safe integer; no message limit comes near it anyway.
    if (high > 0x1f_ffff) return invalid(header, ProtocolClose.MessageTooBig, 'payload length > 2^53 - 1');
    length = high * 2 ** 32 + buf.readUInt32BE(at + 6);
  } else if (available < headerBytes) {
    return headerBytes - available;
  }
  header.fin = fin;
  header.opcode = opcode;
  header.headerBytes = headerBytes;
  header.payloadBytes = length;
  header.maskAt = at + headerBytes - 4;
  return FRAME_READY;
}

function invalid(header: FrameHeader, code: number, error: string): number {
  header.closeCode = code;
  header.error = error;
  return FRAME_INVALID;
}

/** XOR `buf[start, end)` in place with the 4-byte mask key at `buf[maskAt]` (§5.3). */
export function unmask(buf: Buffer, maskAt: number, start: number, end: number): void {
  const m0 = buf[maskAt]!;
  const m1 = buf[maskAt + 1]!;
  const m2 = buf[maskAt + 2]!;
  const m3 = buf[maskAt + 3]!;
  if ((m0 | m1 | m2 | m3) === 0) return;
  let i = start;
  for (; i + 3 < end; i += 4) {
    buf[i] = buf[i]! ^ m0;
    buf[i + 1] = buf[i + 1]! ^ m1;
    buf[i + 2] = buf[i + 2]! ^ m2;
    buf[i + 3] = buf[i + 3]! ^ m3;
  }
  // The key sits before the payload, so the last 1–3 bytes read it where it is.
  for (let k = maskAt; i < end; i++, k++) buf[i] = buf[i]! ^ buf[k]!;
}
