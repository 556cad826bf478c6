/**
 * @module protocols/seeds/seed001
 * Seed 001's channel API, for its chat (WebSocket) and notifications (SSE) pages:
 * - `POST /api/v1/channels` creates a channel (`{id, type, maxOfChannelConnections}`) on every node
 *   (created.ts);
 * - `GET /api/v1/channels/:id?clientId=…` connects as the channel's type says, or with
 *   `upgrade=0` only checks that it could (it reserves nothing: the seed's probe kept the id, so
 *   the chat page's own connect got 409);
 * - `POST /api/v1/channels/:id/messages` (`{payload: string}`) is a server message.
 * What a WebSocket client sends (raw text) becomes a message from its clientId, delivered to
 * everyone on the channel but the sender. JSON answers are pretty-printed like the seed's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode } from '@herald/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ANONYMOUS } from '../../../auth/access.js';
import { originAllowed } from '../../../auth/client.js';
import type { CompatConfig } from '../../../config/compat.js';
import type { NamespaceConfig } from '../../../config/schema.js';
import type { ConnectionContext } from '../../../connection/connection.js';
import { toRawJson } from '../../../json/raw.js';
import type { SeedConnection } from '../connection.js';
import { checkSubscription } from '../connection.js';
import { messageOf, statusOf } from '../http.js';
import type { SeedSseStreams } from '../sse.js';
import { refuseUpgrade, type SeedWebSockets } from '../websocket.js';
import { CreatedChannels } from './created.js';
import { messageId, seed001Encoders } from './frame.js';
import { Seed001Registry, type Seed001ChannelInfo } from './registry.js';

const PREFIX = '/api/v1/channels';
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'access-control-allow-origin': '*',
  'x-accel-buffering': 'no',
};

const pretty = (value: unknown) => JSON.stringify(value, null, 4);

/** Its channels' namespace, and the one holding the channels created through the API (kept 30 days, read by every node). */
export function seed001Namespaces(namespace: string, base: NamespaceConfig): Record<string, NamespaceConfig> {
  return {
    [namespace]: { ...base, allow_anonymous: true, allow_client_publish: true, echo: false, presence: false, transports: ['websocket', 'sse'] },
    [registryNamespace(namespace)]: { ...base, history_size: 10_000, history_ttl_seconds: 30 * 86_400, allow_anonymous: false, allow_client_publish: false, transports: ['websocket'] },
  };
}

const registryNamespace = (namespace: string) => `${namespace}-registry`;

export interface Seed001Options {
  config: CompatConfig['seed001'];
  context: ConnectionContext;
  sockets: SeedWebSockets;
  streams: SeedSseStreams;
  allowedOrigins: readonly string[];
}

export function createSeed001(options: Seed001Options) {
  const { context, sockets, streams } = options;
  const registry = new Seed001Registry(options.config);
  const encoders = seed001Encoders((channel) => registry.idOf(channel));
  const created = new CreatedChannels(context, `${registryNamespace(options.config.namespace)}:created`, (c) => registry.set(c.id, c.type, c.max));

  /** The channel and client id of a connect, or the seed's refusal. */
  function admit(id: string, query: URLSearchParams): { info: Seed001ChannelInfo; clientId: string } | { status: number; message: string } {
    const info = registry.get(id);
    if (!info) return { status: 404, message: 'Channel not found' };
    const clientId = query.get('clientId') || randomUUID();
    return registry.refusal(info, clientId) ?? { info, clientId };
  }

  /** A live connection holds its client id on the channel until it goes. */
  async function join(connection: SeedConnection, info: Seed001ChannelInfo, clientId: string): Promise<void> {
    registry.claim(info.id, clientId);
    connection.onRelease = () => registry.release(info.id, clientId);
    const channel = await checkSubscription(context, connection.transport, ANONYMOUS, registry.channelName(info.id));
    await connection.subscribe(channel);
  }

  /** A WebSocket client's raw text: a message from its clientId to the others on the channel. */
  function publishText(connection: SeedConnection, info: Seed001ChannelInfo, clientId: string, text: string): void {
    const work = async () => {
      const channel = context.channels.resolve(registry.channelName(info.id));
      if (!channel.options.allow_client_publish) return;
      context.access.checkPublish(ANONYMOUS, channel);
      await context.hub.publish(channel, { data: toRawJson(text), info: { user: clientId, client: connection.id }, echo: false });
    };
    // The seed never answered a client's message; a failure is only logged.
    work().catch((err: unknown) => context.log.debug({ err, client: connection.id }, 'seed 001 message not published'));
  }

  function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
    return reply.code(status).type('application/json; charset=utf-8').send(pretty(body));
  }

  function stream(res: ServerResponse, info: Seed001ChannelInfo, clientId: string): void {
    const connection = streams.open(res, SSE_HEADERS, encoders.sse, ANONYMOUS);
    join(connection, info, clientId).catch((err: unknown) => connection.close(CloseCode.InternalError, messageOf(err)));
  }

  return {
    registry,

    /** Start following the channels created on any node. */
    start: () => created.start(),
    stop: () => created.stop(),

    claims(path: string): boolean {
      return path.startsWith(`${PREFIX}/`);
    },

    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, query: URLSearchParams): void {
      sockets.guard(socket);
      // The seed's check was its allow_all_origins flag (off: every browser refused); here it is server.allowed_origins, as for native sockets.
      if (!originAllowed(req.headers.origin, options.allowedOrigins)) return refuseUpgrade(socket, 403);
      const id = decodeSegment(path.slice(PREFIX.length + 1));
      const admitted = id === undefined ? { status: 404, message: 'Channel not found' } : admit(id, query);
      if ('status' in admitted) return refuseUpgrade(socket, admitted.status, pretty({ message: admitted.message }), 'application/json; charset=utf-8');
      const { info, clientId } = admitted;
      if (info.type !== 'WS') return refuseUpgrade(socket, 400, pretty({ message: 'channel is not a WebSocket channel' }), 'application/json; charset=utf-8');
      sockets.accept(req, socket, head, encoders.ws, ANONYMOUS, (connection) => {
        join(connection, info, clientId).catch((err: unknown) => connection.close(CloseCode.InternalError, messageOf(err)));
        return (text) => publishText(connection, info, clientId, text);
      });
    },

    register(app: FastifyInstance): void {
      void app.register(async (scope) => {
        // The seed answered bad bodies in its own words, so bodies are read here, not by Herald's JSON parser.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
        if (registry.allowAllOrigins) scope.addHook('onSend', async (_req, reply) => void reply.header('access-control-allow-origin', '*'));

        scope.post(PREFIX, async (req, reply) => {
          if (!registry.allowCreate) return send(reply, 403, { message: 'server are not allowed to create new channels' });
          const body = parseBody(req.body) as { id?: unknown; type?: unknown; maxOfChannelConnections?: unknown } | undefined;
          const { id, type, maxOfChannelConnections: max } = body ?? {};
          const valid = typeof id === 'string' && id !== '' && (type === 'WS' || type === 'SSE') && Number.isInteger(max) && (max as number) > 0;
          if (!valid || !validChannel(id)) return send(reply, 400, { message: 'invalid body schema' });
          try {
            await created.publish({ id, type, max: max as number }, context.channels.resolve(created.name));
          } catch (err) {
            context.log.warn({ err, channel: id }, 'seed 001 channel creation not shared');
            return send(reply, 500, { message: 'Internal server error' });
          }
          return send(reply, 200, { id, config: { maxOfChannelConnections: max }, type });
        });

        scope.get<{ Params: { id: string } }>(`${PREFIX}/:id`, async (req, reply) => {
          const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
          const admitted = admit(req.params.id, query);
          if ('status' in admitted) return send(reply, admitted.status, { message: admitted.message });
          if (query.get('upgrade') === '0') return send(reply, 200, { message: 'OK' });
          if (admitted.info.type === 'WS') return send(reply, 400, { message: 'channel is a WebSocket channel: connect with a WebSocket' });
          if (!context.accepting()) return send(reply, 503, { message: 'node is shutting down; reconnect' });
          if (streams.full()) return send(reply, 503, { message: 'node is at its connection limit; retry later' });
          reply.hijack();
          stream(reply.raw, admitted.info, admitted.clientId);
        });

        scope.post<{ Params: { id: string } }>(`${PREFIX}/:id/messages`, async (req, reply) => {
          const body = parseBody(req.body) as { payload?: unknown } | undefined;
          if (typeof body?.payload !== 'string' || body.payload === '') return send(reply, 400, { message: 'invalid body schema' });
          const info = registry.get(req.params.id);
          if (!info) return send(reply, 404, { message: 'channel not found' });
          try {
            const channel = context.channels.resolve(registry.channelName(info.id));
            const position = await context.hub.publish(channel, { data: toRawJson(body.payload) });
            return send(reply, 200, { message: `message ${messageId(channel.name, position)} has been sent to all clients` });
          } catch (err) {
            context.log.warn({ err, channel: info.id }, 'seed 001 server message not published');
            return send(reply, statusOf(err) === 503 ? 503 : 500, { message: 'Error broadcasting message to all clients' });
          }
        });
      });

      function validChannel(id: string): boolean {
        try {
          context.channels.resolve(registry.channelName(id));
          return true;
        } catch {
          return false;
        }
      }
    },
  };
}

/** A path segment decoded, or undefined when it is not valid percent-encoding (or holds a slash). */
function decodeSegment(segment: string): string | undefined {
  try {
    const id = decodeURIComponent(segment);
    return id.includes('/') ? undefined : id;
  } catch {
    return undefined;
  }
}

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
