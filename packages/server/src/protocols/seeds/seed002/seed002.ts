/**
 * @module protocols/seeds/seed002
 * Seed 002's WebSocket: `GET /ws?user_id=…` (or a JWT), then JSON commands (session.ts) and
 * `{type, channel, …}` frames (frames.ts). Its channel `room1` is Herald channel
 * `<namespace>:room1`, which `POST /api/event` publishes to as well (api/publish.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { originAllowed, type ClientAuthenticator } from '../../../auth/client.js';
import type { CompatConfig } from '../../../config/compat.js';
import type { NamespaceConfig } from '../../../config/schema.js';
import { refuseUpgrade, type SeedWebSockets } from '../websocket.js';
import { SEED002_CLIENT, Seed002Names, seed002Encoder } from './frames.js';
import { identifySeed002, Refusal } from './identify.js';
import { Seed002Session } from './session.js';

type Seed002Config = CompatConfig['seed002'];

/** The namespaces to add when they are not configured: the channels, and their presence companions. */
export function seed002Namespaces(config: Seed002Config, base: NamespaceConfig): Record<string, NamespaceConfig> {
  const names = new Seed002Names(config.namespace);
  return {
    [config.namespace]: { ...base, allow_anonymous: true, allow_client_publish: true, presence: true, echo: true },
    [names.presenceNamespace]: { ...base, allow_anonymous: true, allow_client_publish: false, presence: false, history_size: 0, transports: ['websocket', 'sse'] },
  };
}

export interface Seed002Options {
  config: Seed002Config;
  sockets: SeedWebSockets;
  authenticate: ClientAuthenticator;
  allowedOrigins: readonly string[];
  /** Whether client auth is on (JWT_SECRET): `identify: auto` follows it. */
  jwtEnabled: boolean;
}

export function createSeed002(options: Seed002Options) {
  const { config, sockets } = options;
  const names = new Seed002Names(config.namespace);
  const encoder = seed002Encoder(names);
  const jwt = config.identify === 'auto' ? options.jwtEnabled : config.identify === 'jwt';
  return {
    names,

    /** Its own path, or `/ws` with `?user_id=` (native clients never send one). */
    claims(path: string, query: URLSearchParams): boolean {
      return path === config.path || (path === '/ws' && query.has('user_id'));
    },

    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, _path: string, query: URLSearchParams): void {
      sockets.guard(socket);
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) return refuseUpgrade(socket, 403, JSON.stringify({ error: 'origin not allowed' }), 'application/json');
      identifySeed002(req, query, jwt, options.authenticate).then((identity) => {
        if (identity instanceof Refusal) return refuseUpgrade(socket, identity.status, JSON.stringify({ error: identity.error }), 'application/json; charset=utf-8');
        sockets.accept(req, socket, head, encoder, identity, (connection) => {
          const session = new Seed002Session(connection, names);
          return (text) => session.handle(text);
        }, SEED002_CLIENT);
      }, () => refuseUpgrade(socket, 500));
    },
  };
}
