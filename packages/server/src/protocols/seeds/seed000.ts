/**
 * @module protocols/seeds/seed000
 * Seed 000's clients: `GET /ws?token=<jwt>&channel=c` (the authenticated audience) and
 * `GET /ws/public?channel=c` (the public one). Each frame is exactly the JSON body a backend
 * POSTed, one publication per frame; nothing else is ever sent (no `connected` frame: its CLI
 * renders every frame as an order). A missing or bad JWT is an HTTP 401 before the upgrade.
 *
 * The two audiences are two namespaces: `POST /update?channel=c` publishes to
 * `<namespace>:c` and `POST /publish?channel=c` to `<public_namespace>:c` (api/publish.ts), so
 * native clients subscribe to those same channels to see the same publications.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode } from '@herald/protocol';
import { ANONYMOUS, type ClientIdentity } from '../../auth/access.js';
import { originAllowed, type ClientAuthenticator } from '../../auth/client.js';
import type { Publication } from '../../broker/broker.js';
import type { CompatConfig } from '../../config/compat.js';
import type { NamespaceConfig } from '../../config/schema.js';
import type { Encoder } from '../../hub/subscriber.js';
import { textFrame } from '../../transports/websocket-frame.js';
import { messageOf, statusOf } from './http.js';
import { checkSubscription } from './connection.js';
import { refuseUpgrade, type SeedWebSockets } from './websocket.js';

type Seed000Config = CompatConfig['seed000'];

/** The seed's channel when the query names none. */
export const SEED000_DEFAULT_CHANNEL = 'default';

const encoder: Encoder = { message: (p: Publication) => textFrame(p.data) };

/** The Herald channel of a seed-000 channel for one audience (`/update` and `/ws`: private; `/publish` and `/ws/public`: public). */
export function seed000Channel(config: Seed000Config, audience: 'private' | 'public', name: string): string {
  return `${audience === 'private' ? config.namespace : config.public_namespace}:${name}`;
}

/** The namespaces to add when they are not configured. */
export function seed000Namespaces(config: Seed000Config, base: NamespaceConfig): Record<string, NamespaceConfig> {
  const audience = (anonymous: boolean): NamespaceConfig => ({ ...base, allow_anonymous: anonymous, allow_client_publish: false, presence: false, transports: ['websocket', 'sse', 'longpoll'] });
  return { [config.namespace]: audience(false), [config.public_namespace]: audience(true) };
}

export interface Seed000Options {
  config: Seed000Config;
  sockets: SeedWebSockets;
  authenticate: ClientAuthenticator;
  allowedOrigins: readonly string[];
}

export function createSeed000(options: Seed000Options) {
  const { config, sockets } = options;
  return {
    /** Whether this upgrade is seed 000's: `/ws/public`, or `/ws` naming a `channel`. */
    claims(path: string, query: URLSearchParams): boolean {
      return path === '/ws/public' || (path === '/ws' && query.has('channel'));
    },

    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, query: URLSearchParams): void {
      sockets.guard(socket);
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) return refuseUpgrade(socket, 403);
      const audience = path === '/ws/public' ? 'public' : 'private';
      const name = seed000Channel(config, audience, query.get('channel') || SEED000_DEFAULT_CHANNEL);
      // Its JWT came in ?token= only; without one the seed refused before upgrading, with an empty 401.
      const identify: Promise<ClientIdentity> = audience === 'public' ? Promise.resolve(ANONYMOUS) : query.get('token') ? options.authenticate(req) : Promise.reject(new Error('missing token'));
      identify.then(
        async (identity) => {
          if (audience === 'private' && identity.user === '') return refuseUpgrade(socket, 401);
          // Checked before the upgrade, so a refusal is an HTTP status the client can see.
          const channel = await checkSubscription(sockets.options.context, 'websocket', identity, name);
          sockets.accept(req, socket, head, encoder, identity, (connection) => {
            connection.subscribe(channel).catch(() => connection.close(CloseCode.InternalError, 'subscription failed; reconnect'));
            return undefined; // the seed logged and ignored what its clients sent
          });
        },
        (err: unknown) => refuseUpgrade(socket, statusOf(err) === 429 ? 429 : 401),
      ).catch((err: unknown) => refuseUpgrade(socket, statusOf(err), messageOf(err)));
    },
  };
}
