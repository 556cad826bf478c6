/**
 * @module config/compat
 * The `compat` section: one switch per seed protocol (the three services Herald replaces), each
 * off by default, and where each seed's channels live among Herald's namespaces.
 */
import { Type, type Static } from '@sinclair/typebox';

const NAMESPACE = '^[a-z0-9_-]{1,64}$';
const enabled = (seed: string) => Type.Boolean({ default: false, description: `Serve seed ${seed}'s client protocol (docs/migrating.md). Env HERALD_COMPAT__SEED${seed}__ENABLED=true.` });

export const Seed001ChannelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'The channel id the pages use in their URLs.' }),
    type: Type.Unsafe<'WS' | 'SSE'>({ type: 'string', enum: ['WS', 'SSE'], description: 'WS = WebSocket only, SSE = server-sent events only.' }),
    max_of_channel_connections: Type.Integer({ minimum: 1, default: 100, description: 'Connections to this channel per node.' }),
  },
  { additionalProperties: false },
);
export type Seed001Channel = Static<typeof Seed001ChannelSchema>;

export const CompatSchema = Type.Object(
  {
    seed000: Type.Object(
      {
        enabled: enabled('000'),
        namespace: Type.String({
          pattern: NAMESPACE,
          default: 'seed000',
          description:
            'Namespace of the authenticated audience: `POST /update?channel=c` publishes to `<namespace>:c`, which `/ws?token=<jwt>&channel=c` clients receive. Added (JWT required) unless you define it. Needs client auth (JWT_SECRET).',
        }),
        public_namespace: Type.String({
          pattern: NAMESPACE,
          default: 'seed000-public',
          description: 'Namespace of the public audience: `POST /publish?channel=c` publishes to `<public_namespace>:c`, which `/ws/public?channel=c` clients receive. Added (anonymous allowed) unless you define it.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    seed001: Type.Object(
      {
        enabled: enabled('001'),
        namespace: Type.String({
          pattern: NAMESPACE,
          default: 'seed001',
          description: 'Namespace of its channels: channel id `x` is Herald channel `<namespace>:x`. Added (anonymous, client publishing, no echo) unless you define it; `<namespace>-registry` keeps the channels created through `POST /api/v1/channels`, for every node.',
        }),
        config_file: Type.String({
          default: '',
          description: "Seed 001's own YAML file (env CONFIG_FOLDER_PATH): its `channels` and `server.allow_create_new_channels` / `allow_all_origins` are read; `pubsub` is ignored (Herald's engine carries everything).",
        }),
        allow_create_new_channels: Type.Boolean({ default: true, description: 'Whether `POST /api/v1/channels` may create channels (the YAML file, when given, decides instead).' }),
        allow_all_origins: Type.Boolean({ default: false, description: 'Send `Access-Control-Allow-Origin: *` on its routes, so its pages may be served from another origin (the YAML file, when given, decides instead).' }),
        channels: Type.Array(Seed001ChannelSchema, { default: [], description: 'Channels declared here, added to those of config_file.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    seed002: Type.Object(
      {
        enabled: enabled('002'),
        namespace: Type.String({
          pattern: NAMESPACE,
          default: 'seed002',
          description:
            'Namespace of its channels: channel `room1` is Herald channel `<namespace>:room1`, for its WebSocket and for `POST /api/event`. Added (anonymous, presence, client publishing) unless you define it; `<namespace>-presence` carries its presence frames with their metadata.',
        }),
        path: Type.String({
          pattern: '^/[A-Za-z0-9_./-]*$',
          default: '/seed002/ws',
          description: 'WebSocket path that always speaks seed 002. `/ws` requests carrying `?user_id=` speak it too, so its default URL works; with JWTs (which native clients send the same way) use this path.',
        }),
        identify: Type.Unsafe<'auto' | 'jwt' | 'user_id'>({
          type: 'string',
          enum: ['auto', 'jwt', 'user_id'],
          default: 'auto',
          description: 'How its clients say who they are: `jwt` (token required), `user_id` (`?user_id=`, taken on trust), or `auto` = jwt when client auth is on (JWT_SECRET), as the seed did.',
        }),
        open_event_api: Type.Boolean({
          default: false,
          description: "Accept `POST /api/event` without publisher credentials, as the seed did (its playground sends none). Only on a trusted network.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
export type CompatConfig = Static<typeof CompatSchema>;
