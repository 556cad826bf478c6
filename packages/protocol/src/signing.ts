/**
 * @module signing
 * The canonical string a signed publisher request covers (docs/security.md). Pure, so the
 * server, the backend SDK and any port agree byte for byte; each side computes the SHA-256
 * and HMAC with its own crypto.
 */
export const SIGNATURE_HEADER = 'x-herald-signature';

export function stringToSign(method: string, target: string, timestamp: number, nonce: string, bodySha256Hex: string): string {
  return `HERALD-HMAC-SHA256\n${method.toUpperCase()}\n${target}\n${timestamp}\n${nonce}\n${bodySha256Hex}`;
}

export function formatSignatureHeader(keyId: string, timestamp: number, nonce: string, sig: string): string {
  return `kid=${keyId},ts=${timestamp},nonce=${nonce},sig=${sig}`;
}

// ---- backend hooks (docs/hooks.md#signatures) ------------------------------------------------

/** Signs hook requests (Herald → backend) and, with `hooks.verify_responses`, their answers. */
export const HOOK_SIGNATURE_HEADER = 'x-herald-hook-signature';

/** What the HMAC-SHA256 of a hook request or answer covers: `<unix seconds>.<request id>.<body>`. */
export function hookStringToSign(timestamp: number, id: string, body: string): string {
  return `${timestamp}.${id}.${body}`;
}

export function formatHookSignature(timestamp: number, id: string, macHex: string): string {
  return `t=${timestamp},id=${id},v1=${macHex}`;
}

/** The parts of an `X-Herald-Hook-Signature` header, or undefined when it is malformed. */
export function parseHookSignature(header: string | null | undefined): { timestamp: number; id: string; macHex: string } | undefined {
  if (!header) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const timestamp = Number(fields.get('t'));
  const id = fields.get('id');
  const macHex = fields.get('v1');
  if (!Number.isSafeInteger(timestamp) || !id || !macHex || !/^[0-9a-f]{64}$/.test(macHex)) return undefined;
  return { timestamp, id, macHex };
}
