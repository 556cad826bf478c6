/**
 * @module messages
 * Frames exchanged over a Herald WebSocket (JSON text frames), and what SSE and long-poll add.
 * docs/protocol.md and docs/sse-longpoll.md are the prose version of this file; keep them together.
 */

/** Position in a channel's stream: offsets grow by one per publication within an epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

// ---- client → server -------------------------------------------------------------------------

export interface SubscribeCommand {
  id?: number;
  type: 'subscribe';
  channel: string;
  /** Resume after this position: the reply says whether everything missed was delivered. */
  since?: StreamPosition;
  /** Subscription token (a JWT with a `channel` claim) for a private channel. */
  token?: string;
  /**
   * Presence namespaces only: also receive `join`/`leave` frames and, right after the reply, one
   * `presence` frame with the current members. Needs the `presence` permission.
   */
  presence?: boolean;
  /**
   * Ask for delta compression: a publication may then arrive as a fossil delta against the
   * previous one this subscription received (`MessageFrame.delta`). The reply's result echoes it
   * when the server agreed. See docs/protocol.md#delta-compression.
   */
  delta?: DeltaFormat;
}

/** The delta formats a subscription can ask for. */
export type DeltaFormat = 'fossil';

export interface UnsubscribeCommand {
  id?: number;
  type: 'unsubscribe';
  channel: string;
}

export interface PublishCommand {
  id?: number;
  type: 'publish';
  channel: string;
  event?: string;
  /** Conflation key, as on the HTTP publish. */
  key?: string;
  data: unknown;
}

export interface PingCommand {
  id?: number;
  type: 'ping';
}

/** Authenticate (first frame, instead of a token in the URL) or refresh the connection's token. */
export interface AuthCommand {
  id?: number;
  type: 'auth';
  token: string;
}

/** Ask for a presence channel's current members (the reply's result is a PresenceResult). */
export interface PresenceCommand {
  id?: number;
  type: 'presence';
  channel: string;
}

/** Call the backend's rpc hook (docs/hooks.md): the reply's result is an RpcResult, or the backend's error. */
export interface RpcCommand {
  id?: number;
  type: 'rpc';
  /** 1 to 128 characters, passed to the backend as is. */
  method: string;
  data?: unknown;
}

/**
 * Set this connection's member info in a presence channel it is subscribed to (a JSON object,
 * e.g. `{"name":"Alice","status":"typing"}`); watchers get an `update` frame. Rate- and size-limited
 * (`presence.update_per_second`, `presence.max_info_bytes`).
 */
export interface PresenceUpdateCommand {
  id?: number;
  type: 'presence_update';
  channel: string;
  info: Record<string, unknown>;
}

export type ClientCommand = SubscribeCommand | UnsubscribeCommand | PublishCommand | PingCommand | AuthCommand | PresenceCommand | RpcCommand | PresenceUpdateCommand;
export type ClientCommandType = ClientCommand['type'];

// ---- server → client -------------------------------------------------------------------------

export interface ConnectedFrame {
  type: 'connected';
  client: string;
  node: string;
  /** Server heartbeat interval in seconds: a peer silent for two intervals is closed. */
  ping: number;
  /** The user the connection is authenticated as (absent when anonymous). */
  user?: string;
  /** What the connect hook chose to tell the client (docs/hooks.md). */
  data?: unknown;
}

/** Result of an `rpc` command: the backend's answer. */
export interface RpcResult {
  data?: unknown;
}

export interface ErrorBody {
  code: string;
  message: string;
  /** Finer cause for `unauthorized` (see docs/security.md), never naming which secret exists. */
  reason?: string;
}

/** Result of an `auth` command. */
export interface AuthResult {
  user: string;
  /** Unix seconds when the token expires, if it does. */
  expires?: number;
}

/** The connection's token expired: send `auth` with a fresh one within `grace` seconds or be closed with 4004. */
export interface RefreshFrame {
  type: 'refresh';
  grace: number;
}

/**
 * Why a subscribe with `since` could not deliver everything that was missed. `undeliverable`: the
 * node could not encode a publication of that history (docs/protocol.md#recovery).
 */
export type RecoveryFailure = 'epoch_changed' | 'history_truncated' | 'offset_ahead' | 'undeliverable';

export interface SubscribeResult extends StreamPosition {
  /** Present when the subscribe carried `since`. */
  recovered?: boolean;
  reason?: RecoveryFailure;
  /** Present when the subscribe asked for delta compression and it is on for this subscription. */
  delta?: DeltaFormat;
}

export interface OkReply {
  type: 'reply';
  id: number;
  ok: true;
  /** Subscribe: the stream position the live stream continues from; publish: the assigned one. */
  result?: SubscribeResult | StreamPosition | AuthResult | PresenceResult | RpcResult;
}

export interface ErrorReply {
  type: 'reply';
  id: number;
  error: ErrorBody;
}

/** An error for a frame that carried no usable `id` (e.g. malformed JSON). */
export interface ErrorFrame {
  type: 'error';
  error: ErrorBody;
}

export interface MessageFrame extends StreamPosition {
  type: 'message';
  channel: string;
  event?: string;
  /** The publication's conflation key, when its publisher gave one. */
  key?: string;
  /** Set by the server on publications made by a client: who sent it. Never taken from the client. */
  info?: ClientInfo;
  /**
   * Conflating namespaces only: this many publications right before this one were not sent to
   * this subscriber because later publications with the same key superseded them (the offset
   * jumps by `skipped + 1`).
   */
  skipped?: number;
  /**
   * Delta subscriptions only: `data` is a string holding a fossil delta (one character per byte)
   * that turns the `data` text of the previous message of this subscription into this one's.
   */
  delta?: true;
  /** Always the frame's last member, so a client can keep its exact text (delta compression needs it). */
  data: unknown;
}

/** Identity of a connection as other clients see it: the user (an anonymous client's is its client id) and the connection. */
export interface ClientInfo {
  user: string;
  client?: string;
  /** The member's info in presence (token `info` claim, connect or subscribe hook, `presence_update`). */
  info?: Record<string, unknown>;
}

/** One member of a channel's presence set: a user, with every connection it has there. */
export interface PresenceMember {
  user: string;
  clients: string[];
  /** The user's info: the most recently set among its connections (docs/protocol.md#presence). */
  info?: Record<string, unknown>;
}

export interface PresenceResult {
  channel: string;
  members: PresenceMember[];
}

/**
 * A user entered (first connection) or left (last connection) a presence channel, or one of its
 * connections changed its info (`update`). Not in history.
 */
export interface PresenceEventFrame {
  type: 'join' | 'leave' | 'update';
  channel: string;
  info: ClientInfo;
}

/** The members of a channel, sent after a subscribe with `presence: true` and its reply. */
export interface PresenceFrame extends PresenceResult {
  type: 'presence';
}

export interface PongFrame {
  type: 'pong';
  id?: number;
}

export type ServerFrame =
  | ConnectedFrame
  | OkReply
  | ErrorReply
  | ErrorFrame
  | MessageFrame
  | PongFrame
  | RefreshFrame
  | PresenceEventFrame
  | PresenceFrame
  | SubscribedFrame
  | UnsubscribedFrame;

// ---- SSE and long-poll (docs/sse-longpoll.md) -------------------------------------------------

/**
 * SSE `event: subscribed`: one per channel at the start of a stream, before that channel's
 * messages. `server: true` (WebSocket and SSE): a server-side subscription (token `channels`
 * claim, connect hook, personal channel, control API `subscribe`), announced before that
 * channel's messages.
 */
export interface SubscribedFrame extends SubscribeResult {
  type: 'subscribed';
  channel: string;
  server?: true;
}

/**
 * A subscription the server refused, could not resume or ended on its own (control API
 * `unsubscribe`, on SSE too): no more messages of `channel` follow.
 */
export interface UnsubscribedFrame {
  type: 'unsubscribed';
  channel: string;
  /** Why, when it was refused or failed (e.g. an unknown channel in the token's `channels` claim). */
  cause?: ErrorBody;
}

/** A channel whose long-poll cursor could not be served from history: refetch its state. */
export interface PollReset {
  channel: string;
  reason: RecoveryFailure;
}

/** The answer to `GET /poll`: messages after the cursor, and the cursor to send next. */
export interface PollResponse {
  messages: MessageFrame[];
  cursor: string;
  reset?: PollReset[];
}

// ---- HTTP API --------------------------------------------------------------------------------

export interface PublishRequest {
  channel: string;
  event?: string;
  /** Conflation key: in a conflating namespace a subscriber that fell behind gets only the latest publication per key. */
  key?: string;
  data: unknown;
}

export interface PublishResponse extends StreamPosition {
  channel: string;
}

export interface BroadcastRequest {
  channels: string[];
  event?: string;
  data: unknown;
}

export interface BroadcastResponse {
  results: Array<PublishResponse | { channel: string; error: ErrorBody }>;
}

/** One publication of `POST /api/publish/batch`. */
export interface BatchPublication {
  channel: string;
  event?: string;
  /** Conflation key (protocol.md#conflation). */
  key?: string;
  data: unknown;
  /** This item's own key, in the key space of `Idempotency-Key` on `POST /api/publish`. */
  idempotency_key?: string;
}

export interface PublishBatchRequest {
  publications: BatchPublication[];
}

/** One result per publication, in the request's order. */
export interface PublishBatchResponse {
  results: Array<PublishResponse | { channel: string; error: ErrorBody }>;
}

export interface HistoryResponse extends SubscribeResult {
  channel: string;
  publications: Array<{ offset: number; event?: string; key?: string; data: unknown }>;
}

/** `GET /api/channels/{channel}`: the channel across every node sharing the engine. */
export interface ChannelInfo {
  channel: string;
  /** Some node has a subscriber. */
  occupied: boolean;
  /** Subscribers on every node, each node's count at most about a second old. */
  subscribers: number;
  /** Nodes with subscribers. */
  nodes: number;
}

export interface ErrorResponse {
  error: ErrorBody;
}
