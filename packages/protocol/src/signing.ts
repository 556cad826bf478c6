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
