/**
 * @module servers/common
 * The small HTTP surface the two comparison servers share with Herald, so the harness drives
 * all three the same way: `GET /readyz` for start-up and a JSON `POST` publish endpoint.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

export interface PublishBody {
  channel: string;
  data: unknown;
}

export function listenOptions(): { host: string; port: number } {
  const { values } = parseArgs({
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' } },
  });
  return { host: values.host, port: Number(values.port) };
}

/**
 * Handles readyz and publish; anything else is a 404. `publish` runs synchronously inside the
 * request, so the response is written only after the server has handed every frame to its
 * sockets, which is the obvious implementation, not a tuned one.
 */
export function handleHttp(publish: (body: PublishBody) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && req.url === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/publish') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: PublishBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PublishBody;
      } catch {
        res.writeHead(400).end();
        return;
      }
      publish(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  };
}
