/**
 * @module hooks/hooks
 * What connection and auth code may ask the backend (docs/hooks.md), as one narrow interface, so
 * they never see HTTP: who a connection is (connect), whether its session goes on (refresh),
 * whether it may subscribe or publish, and the answer to an `rpc`. A hook that is not configured
 * is absent from the object, and callers skip it.
 *
 * Contract: every method resolves with the backend's result, or rejects with a HeraldError —
 * `HookRefused` carrying the backend's own code when it refused, `unavailable` when it did not
 * answer properly within `hooks.timeout_ms` (slow, down, bad answer). Nothing is retried.
 */
import { ErrorCode, type ErrorBody } from '@herald/protocol';
import type { TransportName } from '../connection/transport.js';
import { HeraldError } from '../errors.js';
import type { RawJson } from '../json/raw.js';

export type HookName = 'connect' | 'refresh' | 'subscribe' | 'publish' | 'rpc';
export type MemberInfo = Record<string, unknown>;

/** Who is asking, on every request made for an existing connection. */
export interface HookCaller {
  client: string;
  /** Empty for an anonymous connection. */
  user: string;
  transport: TransportName;
}

export interface ConnectRequest {
  transport: TransportName;
  address: string;
  /** Only the headers listed in `hooks.connect_headers`. */
  headers: Record<string, string>;
  /** Only the cookies listed in `hooks.connect_cookies`. */
  cookies: Record<string, string>;
}

export interface ConnectResult {
  /** Empty = anonymous. */
  user: string;
  info?: MemberInfo;
  /** Unix seconds when the session ends unless the refresh hook extends it. */
  expires?: number;
  /** Channels the server subscribes the connection to. */
  channels?: string[];
  /** Passed to the client in its `connected` frame. */
  data?: unknown;
}

export interface RefreshResult {
  /** True: end the session now (close 4004). */
  expired?: boolean;
  expires?: number;
  info?: MemberInfo;
}

export interface SubscribeHookResult {
  /** The member's info in this channel's presence (instead of the connection's). */
  info?: MemberInfo;
}

export interface PublishHookResult {
  /** Publish this instead of what the client sent. */
  data?: RawJson;
}

export interface RpcHookResult {
  data?: unknown;
}

export interface BackendHooks {
  connect?(request: ConnectRequest): Promise<ConnectResult>;
  refresh?(caller: HookCaller): Promise<RefreshResult>;
  /** Per namespace: only for channels whose namespace names a `subscribe_hook`. */
  subscribe?(url: string, caller: HookCaller, channel: string): Promise<SubscribeHookResult>;
  publish?(url: string, caller: HookCaller, channel: string, event: string | undefined, data: RawJson): Promise<PublishHookResult>;
  rpc?(caller: HookCaller, method: string, data: RawJson | undefined): Promise<RpcHookResult>;
}

const BACKEND_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** The backend refused: its own code (a-z, 0-9, _) and message reach the client as they are. */
export class HookRefused extends HeraldError {
  readonly backendCode: string;
  constructor(code: string, message: string) {
    super(ErrorCode.Forbidden, message);
    this.backendCode = BACKEND_CODE.test(code) ? code : ErrorCode.Forbidden;
  }

  override toBody(): ErrorBody {
    return { code: this.backendCode, message: this.message };
  }
}
