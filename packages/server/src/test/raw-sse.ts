/**
 * @module test/raw-sse
 * An SSE stream opened by hand on a raw TCP or TLS socket: the test writes the request and can
 * write more bytes after it (a pipelined request) or half-close, and sees every byte of the
 * answer, chunk framing included.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { waitUntil } from './helpers.js';

export class RawSseStream {
  /** Everything received so far, as latin1 text. */
  text = '';
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.text += chunk.toString('latin1')));
    // A reset after the stream's end is no failure here; what arrived is what is checked.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /**
   * Opens `path` on `url`'s host (https: with `ca` trusted) with HTTP/1.1 keep-alive and `headers`;
   * `pipelined` goes in the same write, right after the request.
   */
  static async open(url: string, path: string, headers: Record<string, string> = {}, ca?: Buffer, pipelined = ''): Promise<RawSseStream> {
    const { hostname, port, protocol } = new URL(url);
    const socket: Socket =
      protocol === 'https:' ? tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost' }) : connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once(protocol === 'https:' ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
    });
    const stream = new RawSseStream(socket);
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${lines}\r\n${pipelined}`);
    return stream;
  }

  /** Waits until the text received matches `pattern`; returns the match. */
  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    return waitUntil(() => pattern.exec(this.text) ?? undefined, timeoutMs, () => `${String(pattern)} in ${JSON.stringify(this.text.slice(-500))}`);
  }

  /** The data of every unnamed event (a publication's message), parsed. */
  messages(): unknown[] {
    return [...this.text.matchAll(/^data: (\{"type":"message".*)$/gm)].map((m) => (JSON.parse(m[1]!) as { data: unknown }).data);
  }

  /** The last `id:` line's value. */
  lastId(): string | undefined {
    return [...this.text.matchAll(/^id: (.*)$/gm)].at(-1)?.[1];
  }

  close(): void {
    this.socket.destroy();
  }
}
