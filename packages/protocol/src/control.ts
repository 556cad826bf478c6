/**
 * @module control
 * Answers of the control API (docs/api.md#control-api): acting on users' live connections on
 * every node, token revocation and user blocks.
 */

/** Every answer that acted on nodes says how many answered within the second a command may take. */
export interface NodesAnswered {
  nodes: number;
}

/** One live connection (WebSocket or SSE) on some node. */
export interface ConnectionInfo {
  client: string;
  /** Empty for an anonymous client. */
  user: string;
  node: string;
  transport: 'websocket' | 'sse';
  channels: string[];
  /** When it connected, ISO 8601. */
  since: string;
  address: string;
}

export interface DisconnectResponse extends NodesAnswered {
  user: string;
  disconnected: number;
}

export interface SubscribeUserResponse extends NodesAnswered {
  user: string;
  channel: string;
  subscribed: number;
  /** The first refusal of each node that refused (e.g. `too_many_subscriptions`). */
  errors?: Array<{ code: string; message: string }>;
}

export interface UnsubscribeUserResponse extends NodesAnswered {
  user: string;
  channel: string;
  unsubscribed: number;
}

export interface UserConnectionsResponse extends NodesAnswered {
  user: string;
  connections: ConnectionInfo[];
}

export interface ChannelConnectionsResponse extends NodesAnswered {
  channel: string;
  connections: ConnectionInfo[];
  /** Pass as `cursor` for the next page; absent on the last one. */
  next_cursor?: string;
}

export interface RevokeTokenResponse extends NodesAnswered {
  jti: string;
  /** Unix seconds until which the revocation is kept. */
  expires_at: number;
  disconnected: number;
}

export interface RevokeUserResponse extends NodesAnswered {
  user: string;
  /** Tokens with an earlier `iat` (or none) are revoked. */
  issued_before: number;
  expires_at: number;
  disconnected: number;
}

export interface BlockState {
  user: string;
  blocked: boolean;
  reason?: string;
  /** Unix seconds; absent: until unblocked. */
  expires_at?: number;
  /** Present on the answer to a block: live connections it closed, and nodes that answered. */
  disconnected?: number;
  nodes?: number;
}

export interface UnblockResponse {
  user: string;
  /** Whether the user was blocked. */
  unblocked: boolean;
}
