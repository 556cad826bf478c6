/**
 * @module http-answer
 * A whole HTTP/1.1 answer as text, for sockets no HTTP response object serves: refused
 * WebSocket upgrades and requests Node's parser refused. The connection closes after it.
 */
import { STATUS_CODES } from 'node:http';

/** Status line, `Connection: close`, the content type (when given), the length, `extra`, then the body. */
export function httpAnswer(status: number, body: string, contentType?: string, extra: Record<string, string> = {}): string {
  const type = contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`;
  const more = Object.entries(extra)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n${more}\r\n${body}`;
}
