/**
 * @module test/pusher-page
 * What a browser test of pusher-js needs besides the Herald node: an app backend on loopback
 * (port 0, so another origin than the node) serving a page with the unmodified browser bundles of
 * `pusher-js` and `laravel-echo` from node_modules, and the auth endpoints pusher-js and Echo POST
 * to (signed by the `pusher` server SDK, as a Laravel or Express backend would). The user of a
 * page is the `user` query parameter of its auth endpoint.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Pusher from 'pusher';

const require = createRequire(import.meta.url);
const SCRIPTS: Record<string, string> = {
  '/pusher.js': require.resolve('pusher-js/dist/web/pusher.js'),
  // laravel-echo's `exports` lists only its modules: its browser bundle sits beside the CommonJS one.
  '/echo.js': join(dirname(require.resolve('laravel-echo')), 'echo.iife.js'),
};
const PAGE = '<!doctype html><meta charset="utf-8"><title>pusher test</title><script src="/pusher.js"></script><script src="/echo.js"></script>';

export interface PusherPage {
  /** The backend's origin: open `${origin}/` in the browser. */
  origin: string;
  close(): Promise<void>;
}

/** Starts the backend; `sdk()` is read per request, so the app may be created after the origin is known. */
export async function startPusherPage(sdk: () => Pusher): Promise<PusherPage> {
  const scripts = new Map(Object.entries(SCRIPTS).map(([path, file]) => [path, readFileSync(file)]));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const script = scripts.get(url.pathname);
    if (req.method === 'GET') {
      res.writeHead(script || url.pathname === '/' ? 200 : 404, { 'content-type': script ? 'text/javascript' : 'text/html' });
      return res.end(script ?? (url.pathname === '/' ? PAGE : ''));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // pusher-js and Echo post a form: socket_id, channel_name.
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const socketId = form.get('socket_id') ?? '';
      const user = url.searchParams.get('user') ?? 'anonymous';
      const channel = form.get('channel_name') ?? '';
      let body: unknown;
      if (url.pathname === '/auth') {
        body = sdk().authorizeChannel(socketId, channel, channel.startsWith('presence-') ? { user_id: user, user_info: { name: user } } : undefined);
      } else if (url.pathname === '/user-auth') {
        body = sdk().authenticateUser(socketId, { id: user });
      }
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
