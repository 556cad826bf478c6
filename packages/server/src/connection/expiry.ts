/**
 * @module connection/expiry
 * When a connection's credentials expire. A token's: the client is sent `refresh` and has
 * `auth.jwt.refresh_grace_seconds` to send a fresh one, else close 4004. A connect hook's session
 * (no client token to refresh): the refresh hook extends or ends it; while the backend does not
 * answer it is asked again every few seconds until the same grace has passed, then close 4004.
 */
import { CloseCode, ErrorCode, type ServerFrame } from '@herald/protocol';
import type { ClientIdentity } from '../auth/access.js';
import { HeraldError } from '../errors.js';
import type { BackendHooks, HookCaller, MemberInfo } from '../hooks/hooks.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
const REFRESH_RETRY_MS = 5_000;

/** What the watch needs of its connection. */
export interface ExpiringConnection {
  readonly identity: ClientIdentity;
  readonly closed: boolean;
  readonly caller: HookCaller;
  sendFrame(frame: ServerFrame): void;
  close(code: number, reason: string): void;
  /** The refresh hook extended the session (and maybe brought new info). */
  extend(expires: number, info: MemberInfo | undefined): void;
}

export class ExpiryWatch {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly connection: ExpiringConnection,
    readonly graceSeconds: number,
    readonly hooks: BackendHooks,
  ) {}

  /** (Re)start from the identity's current expiry. */
  watch(): void {
    clearTimeout(this.#timer);
    const expires = this.connection.identity.expires;
    if (expires === undefined) return;
    const grace = this.graceSeconds;
    const delay = expires * 1000 - Date.now();
    if (delay > MAX_TIMER_MS) {
      // setTimeout fires at once beyond ~24.8 days: wait in steps instead.
      this.#timer = setTimeout(() => this.watch(), MAX_TIMER_MS).unref();
      return;
    }
    this.#timer = setTimeout(() => {
      if (this.connection.identity.source === 'hook') return void this.#refresh(Date.now() + grace * 1000);
      this.connection.sendFrame({ type: 'refresh', grace });
      this.#timer = setTimeout(() => this.connection.close(CloseCode.TokenExpired, 'token expired'), grace * 1000).unref();
    }, Math.max(0, delay)).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async #refresh(deadline: number): Promise<void> {
    const connection = this.connection;
    const refresh = this.hooks.refresh;
    if (!refresh) return connection.close(CloseCode.TokenExpired, 'session expired');
    try {
      const result = await refresh(connection.caller);
      if (connection.closed) return;
      // An `expires` already past ends the session too: watching it would call the hook again at
      // once, in a loop as fast as the backend answers.
      if (result.expired || result.expires === undefined || result.expires * 1000 <= Date.now()) {
        return connection.close(CloseCode.TokenExpired, 'session expired');
      }
      connection.extend(result.expires, result.info);
      this.watch();
    } catch (err) {
      if (connection.closed) return;
      if (err instanceof HeraldError && err.code === ErrorCode.Unavailable && Date.now() < deadline) {
        this.#timer = setTimeout(() => void this.#refresh(deadline), Math.min(REFRESH_RETRY_MS, Math.max(0, deadline - Date.now()))).unref();
        return;
      }
      connection.close(CloseCode.TokenExpired, err instanceof HeraldError ? `session expired: ${err.message}` : 'session expired');
    }
  }
}
