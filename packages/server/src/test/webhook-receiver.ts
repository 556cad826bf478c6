/**
 * @module test/webhook-receiver
 * A webhook receiver on loopback that records every event it gets, for tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Received {
  body: string;
  json: { id: string; type: string; channel: string; info?: { user: string; client?: string }; data?: unknown };
  headers: IncomingMessage['headers'];
}

/** A receiver whose answer to each request is decided by `respond` (default 200). */
export async function receiver(respond: (n: number, res: ServerResponse) => void = (_n, res) => res.end('ok')) {
  const received: Received[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ body, json: JSON.parse(body) as Received['json'], headers: req.headers });
      respond(n++, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return {
    url,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

