/**
 * @module client
 * The Herald client: one connection that reconnects with backoff, resubscribes every channel
 * from its last position, refreshes its token when asked, and never buffers without bound
 * (publishing while disconnected fails at once instead of queueing).
 */
import {
  CloseCode,
  shouldReconnect,
  type AuthResult,
  type ErrorBody,
  type PresenceEventFrame,
  type PresenceFrame,
  type PresenceMember,
  type PresenceResult,
  type RpcResult,
  type ServerFrame,
  type StreamPosition,
  type SubscribeResult,
  type UnsubscribedFrame,
} from '@herald/protocol';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { HeraldError, type ClientEvents, type ClientOptions, type ClientState, type SubscribeOptions, type TransportName, type WebSocketConstructor, type WebSocketLike } from './options.js';
import { ServerSubscriptions } from './server-subscriptions.js';
import { Subscription, type Message } from './subscription.js';
import { openLongPoll, openSse, type HttpSessionEvents } from './transports/http.js';

const OPEN = 1;

export class HeraldClient extends Emitter<ClientEvents> {
  #state: ClientState = 'disconnected';
  #ws: WebSocketLike | undefined;
  #token: string | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(frame: ServerFrame): void; reject(err: Error): void; timer: ReturnType<typeof setTimeout> }>();
  readonly #subscriptions = new Map<string, Subscription>();
  /** Channels the server subscribed this client to; their positions go in the `since` of each reconnect. */
  readonly #serverSubs = new ServerSubscriptions(
    (sub) => this.emit('server-subscription', sub),
    (channel) => {
      if (this.#state === 'connected') this.#request({ type: 'unsubscribe', channel }).catch(() => {});
    },
  );
  readonly #backoff: BackoffOptions;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #transports: TransportName[];
  #transport = 0;
  /** Consecutive failures of the current transport before it ever connected. */
  #failures = 0;
  #http: { close(): void } | undefined;
  /** Set while the client itself closes a WebSocket to move to another transport. */
  #switching = false;

  constructor(
    readonly url: string,
    readonly options: ClientOptions = {},
  ) {
    super();
    this.#token = options.token;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#transports = options.transports?.length ? [...options.transports] : ['websocket', 'sse', 'longpoll'];
    this.#WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!this.#WebSocket) this.#transports = this.#transports.filter((t) => t !== 'websocket');
    if (this.#transports.length === 0) throw new Error('no usable transport: pass options.WebSocket or allow sse/longpoll');
  }

  /** The transport in use or being tried. */
  get transport(): TransportName {
    return this.#transports[this.#transport]!;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Subscribe to a channel; the subscription survives reconnects until unsubscribe(). */
  subscribe(channel: string, onMessage?: (message: Message) => void, options: SubscribeOptions = {}): Subscription {
    if (this.#subscriptions.has(channel)) throw new Error(`already subscribed to "${channel}"`);
    const sub = new Subscription(channel, options.getToken, (s) => this.#release(s), options.presence === true, options.delta === true, (s) => this.#resubscribe(s));
    if (onMessage) sub.on('message', onMessage);
    this.#subscriptions.set(channel, sub);
    if (this.transport !== 'websocket') {
      if (this.#http || this.#state === 'connected') this.#restartHttp();
    } else if (this.#state === 'connected') void this.#subscribe(sub);
    return sub;
  }

  /** Publish from the client (namespaces with `allow_client_publish`). Fails at once when not connected. */
  async publish(channel: string, data: unknown, options: { event?: string; key?: string } = {}): Promise<StreamPosition> {
    if (this.transport !== 'websocket') throw new HeraldError('not_supported', `publishing needs the websocket transport (now: ${this.transport})`);
    const frame: Record<string, unknown> = { type: 'publish', channel };
    if (options.event !== undefined) frame.event = options.event;
    if (options.key !== undefined) frame.key = options.key;
    frame.data = data;
    return (await this.#request(frame)) as StreamPosition;
  }

  /**
   * Members of a presence channel (one per user, with its connections): a request, so WebSocket
   * only. On SSE, a subscription with `presence: true` keeps `sub.members` instead.
   */
  async presence(channel: string): Promise<PresenceMember[]> {
    if (this.transport !== 'websocket') {
      throw new HeraldError('not_supported', `presence() needs the websocket transport (now: ${this.transport}); on sse, subscribe with { presence: true } and read sub.members`);
    }
    return ((await this.#request({ type: 'presence', channel })) as PresenceResult).members;
  }

  /** Server-side subscriptions the server made for this client, by channel. */
  get serverSubscriptions(): ReadonlyMap<string, Subscription> {
    return this.#serverSubs.byChannel;
  }

  /** Call the backend's rpc hook; resolves with the backend's `data`, rejects with its error code. */
  async rpc(method: string, data?: unknown): Promise<unknown> {
    if (this.transport !== 'websocket') throw new HeraldError('not_supported', `rpc needs the websocket transport (now: ${this.transport})`);
    const result = (await this.#request(data === undefined ? { type: 'rpc', method } : { type: 'rpc', method, data })) as RpcResult | undefined;
    return result?.data;
  }

  /** Set this connection's member info in a presence channel it is subscribed to; watchers get `update`. */
  async presenceUpdate(channel: string, info: Record<string, unknown>): Promise<void> {
    if (this.transport !== 'websocket') throw new HeraldError('not_supported', `presenceUpdate needs the websocket transport (now: ${this.transport})`);
    await this.#request({ type: 'presence_update', channel, info });
  }

  /** Close for good: no reconnect. */
  close(): void {
    clearTimeout(this.#timer);
    this.#setState('closed');
    this.#ws?.close(CloseCode.Normal, 'client closed');
    this.#ws = undefined;
    this.#http?.close();
    this.#http = undefined;
    this.#failPending(new HeraldError('closed', 'client closed'));
  }

  /** Start connecting (connect() calls this). */
  open(): void {
    if (this.#state === 'closed' || this.#ws || this.#http) return;
    void this.#open();
  }

  async #open(): Promise<void> {
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    if (this.#attempt === 0) this.emit('connecting');
    if (this.#token === undefined && this.options.getToken) {
      try {
        this.#token = await this.options.getToken();
      } catch (err) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
        return this.#scheduleReconnect();
      }
    }
    if (this.#state === 'closed') return;
    if (this.transport !== 'websocket') return this.#openHttp();
    const query: string[] = [];
    if (this.#token !== undefined) query.push(`token=${encodeURIComponent(this.#token)}`);
    // Server-side channels are subscribed before any frame of ours: their positions go in the URL.
    const since = this.#serverSubs.since();
    if (since) query.push(`since=${encodeURIComponent(since)}`);
    const url = query.length === 0 ? this.url : `${this.url}${this.url.includes('?') ? '&' : '?'}${query.join('&')}`;
    const ws = new this.#WebSocket!(url);
    this.#ws = ws;
    ws.onmessage = (ev) => this.#onFrame(ev.data);
    ws.onerror = () => {};
    ws.onclose = (ev) => this.#onClose(ws, ev.code, ev.reason);
  }

  #onFrame(raw: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(raw)) as ServerFrame;
    } catch {
      return this.emit('error', new Error('server sent a frame that is not JSON'));
    }
    switch (frame.type) {
      case 'message':
        return (this.#subscriptions.get(frame.channel) ?? this.#serverSubs.get(frame.channel))?.deliver(frame, String(raw));
      case 'subscribed':
        return this.#serverSubs.subscribed(frame);
      case 'unsubscribed':
        return this.#unsubscribed(frame);
      case 'reply': {
        const pending = this.#pending.get(frame.id);
        if (!pending) return;
        this.#pending.delete(frame.id);
        clearTimeout(pending.timer);
        return pending.resolve(frame);
      }
      case 'connected':
        this.#connected(frame.client, frame.node, frame.user, frame.data);
        for (const sub of this.#subscriptions.values()) void this.#subscribe(sub);
        return;
      case 'presence':
      case 'join':
      case 'leave':
      case 'update':
        return this.#presenceFrame(frame);
      case 'refresh':
        return void this.#refreshToken();
      case 'error':
        return this.emit('error', new HeraldError(frame.error.code, frame.error.message));
      default:
        return;
    }
  }

  /**
   * A server-side subscription failed or ended, or the client's own one was ended by the server
   * (control API): either way it is not renewed on reconnect.
   */
  #unsubscribed(frame: UnsubscribedFrame): void {
    const sub = this.#serverSubs.take(frame.channel) ?? this.#subscriptions.get(frame.channel);
    if (!sub) return;
    if (this.#subscriptions.get(frame.channel) === sub) this.#subscriptions.delete(frame.channel);
    sub.ended(frame.cause);
  }

  /** A member list or a join/leave/update, from the WebSocket or an SSE stream. */
  #presenceFrame(frame: PresenceFrame | PresenceEventFrame): void {
    const sub = this.#subscriptions.get(frame.channel) ?? this.#serverSubs.get(frame.channel);
    if (frame.type === 'presence') sub?.presenceSync(frame.members);
    else sub?.presenceEvent(frame);
  }

  #connected(client: string, node: string, user?: string, data?: unknown): void {
    this.#attempt = 0;
    this.#failures = 0;
    this.#setState('connected');
    const info: ClientEvents['connected'][0] = { client, node, transport: this.transport };
    if (user !== undefined) info.user = user;
    if (data !== undefined) info.data = data;
    this.emit('connected', info);
  }

  /** The current transport does not work here: try the next one right away. */
  #nextTransport(): void {
    this.#failures = 0;
    this.#transport = (this.#transport + 1) % this.#transports.length;
  }

  #onClose(ws: WebSocketLike, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    if (this.#state !== 'connected' && this.#state !== 'closed' && ++this.#failures >= 2) this.#nextTransport();
    this.#failPending(new HeraldError('disconnected', `connection closed (${code})`));
    for (const sub of this.#subscriptions.values()) if (sub.state === 'subscribed') sub.state = 'subscribing';
    if (this.#state === 'closed') return;
    // An expired or refused token is worth a retry only with a fresh one from getToken.
    // A client without any token (a cookie session through the connect hook) just reconnects after
    // 4004: the backend decides again.
    const tokenBased = this.options.getToken !== undefined || this.options.token !== undefined;
    const refreshable = tokenBased && (code === CloseCode.TokenExpired || code === CloseCode.Unauthorized);
    if (refreshable && this.options.getToken) this.#token = undefined;
    const switching = this.#switching;
    this.#switching = false;
    const willReconnect = switching || (refreshable ? this.options.getToken !== undefined : shouldReconnect(code));
    this.#setState('disconnected');
    this.emit('disconnected', { code, reason, willReconnect });
    if (willReconnect) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed') return;
    const delayMs = backoffDelay(this.#attempt, this.#backoff);
    this.#attempt++;
    this.emit('reconnecting', { attempt: this.#attempt, delayMs });
    this.#setState('reconnecting');
    this.#timer = setTimeout(() => void this.#open(), delayMs);
  }

  async #subscribe(sub: Subscription): Promise<void> {
    const since = sub.beginSubscribe();
    try {
      const token = sub.token ? await sub.token() : undefined;
      const frame: Record<string, unknown> = { type: 'subscribe', channel: sub.channel };
      if (since) frame.since = since;
      if (token !== undefined) frame.token = token;
      if (sub.presence) frame.presence = true;
      if (sub.delta) frame.delta = 'fossil';
      // Taken as the reply frame is read, before the frames after it: the replay that follows belongs to this subscription.
      await this.#request(frame, (result) => {
        if (sub.state !== 'unsubscribed') sub.subscribed(result as SubscribeResult);
      });
    } catch (err) {
      if (err instanceof HeraldError && err.code === 'transport_not_allowed' && this.#transports.length > 1) {
        // The namespace wants another transport: move on (once, however many channels said so).
        if (this.#switching) return;
        this.#nextTransport();
        this.#switching = true;
        this.#ws?.close(CloseCode.Normal, 'switching transport');
        return;
      }
      if (err instanceof HeraldError && err.code !== 'disconnected' && err.code !== 'closed' && sub.state !== 'unsubscribed') {
        sub.failed({ code: err.code, message: err.message });
      }
    }
  }

  /** A delta did not check out: subscribe anew from the last good position (the server replays from history). */
  #resubscribe(sub: Subscription): void {
    if (this.#subscriptions.get(sub.channel) !== sub) return;
    if (this.transport !== 'websocket') return this.#restartHttp();
    if (this.#state !== 'connected') return;
    // Sent in order: whatever the old subscription still delivers arrives before the new reply and is ignored.
    this.#request({ type: 'unsubscribe', channel: sub.channel }).catch(() => {});
    void this.#subscribe(sub);
  }

  #release(sub: Subscription): void {
    if (this.#subscriptions.get(sub.channel) !== sub) return;
    this.#subscriptions.delete(sub.channel);
    if (this.transport !== 'websocket') {
      if (this.#http || this.#state === 'connected') this.#restartHttp();
    } else if (this.#state === 'connected') this.#request({ type: 'unsubscribe', channel: sub.channel }).catch(() => {});
  }

  // ---- SSE and long-poll ----------------------------------------------------------------------

  #httpBase(): string {
    return (this.options.httpUrl ?? this.url.replace(/^ws(s?):/, 'http$1:').replace(/\/ws\/?(\?.*)?$/, '')).replace(/\/+$/, '');
  }

  /** Channels are part of an HTTP session's URL: a change of subscriptions means a new session. */
  #restartHttp(): void {
    const session = this.#http;
    this.#http = undefined;
    session?.close();
    if (this.#state !== 'closed') void this.#openHttp();
  }

  async #openHttp(): Promise<void> {
    const subs = [...this.#subscriptions.values()];
    let opened = false;
    const events: HttpSessionEvents = {
      open: () => {
        opened = true;
        this.#connected('', '');
      },
      // A session already replaced may still have a read in flight: only the current one counts.
      subscribed: (channel, result) => {
        if (this.#http !== session) return;
        if (result.server) this.#serverSubs.subscribed({ ...result, type: 'subscribed', channel, server: true });
        else this.#subscriptions.get(channel)?.subscribed(result);
      },
      message: (frame, text) => {
        if (this.#http === session) (this.#subscriptions.get(frame.channel) ?? this.#serverSubs.get(frame.channel))?.deliver(frame, text);
      },
      unsubscribed: (frame) => {
        if (this.#http === session) this.#unsubscribed(frame);
      },
      presence: (frame) => {
        if (this.#http === session) this.#presenceFrame(frame);
      },
      closed: (status, error) => {
        if (this.#http !== session) return;
        this.#http = undefined;
        this.#onHttpClosed(opened, status, error);
      },
    };
    if (subs.length === 0) {
      // Nothing to stream yet: count as connected, open a session with the first subscribe.
      this.#connected('', '');
      return;
    }
    const open = this.transport === 'sse' ? openSse : openLongPoll;
    // Presence events come over SSE only; on long-poll such a subscription just has none.
    const presence = this.transport === 'sse' ? subs.filter((s) => s.presence).map((s) => s.channel) : [];
    const since = this.transport === 'sse' ? this.#serverSubs.since() : undefined;
    const delta = this.transport === 'sse' ? subs.filter((s) => s.delta).map((s) => s.channel) : [];
    const session = open({ base: this.#httpBase(), channels: subs.map((s) => s.channel), positions: subs.map((s) => s.beginSubscribe()), presence, delta, since, token: this.#token, events });
    this.#http = session;
  }

  #onHttpClosed(opened: boolean, status: number, error: ErrorBody | undefined): void {
    for (const sub of this.#subscriptions.values()) if (sub.state === 'subscribed') sub.state = 'subscribing';
    if (this.#state === 'closed') return;
    const code = error?.code;
    if (code === 'transport_not_allowed' || (!opened && status === 0 && ++this.#failures >= 2)) this.#nextTransport();
    else if (status === 401 && this.options.getToken) this.#token = undefined;
    else if (status >= 400 && status < 500 && status !== 429 && code !== 'transport_not_allowed') {
      // A refusal that retrying cannot fix (forbidden channel, bad request): report and stop.
      for (const sub of this.#subscriptions.values()) sub.failed(error ?? { code: 'http_error', message: `HTTP ${status}` });
      this.#setState('disconnected');
      this.emit('disconnected', { code: status, reason: error?.message ?? '', willReconnect: false });
      return;
    }
    this.#setState('disconnected');
    this.emit('disconnected', { code: status, reason: error?.message ?? '', willReconnect: true });
    this.#scheduleReconnect();
  }

  async #refreshToken(): Promise<void> {
    if (!this.options.getToken) return;
    try {
      this.#token = await this.options.getToken();
      (await this.#request({ type: 'auth', token: this.#token })) as AuthResult;
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** `onOk`: called with the result as soon as the reply is read (a promise settles only after the frames read with it). */
  #request(frame: Record<string, unknown>, onOk?: (result: unknown) => void): Promise<unknown> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN || this.#state !== 'connected') {
      return Promise.reject(new HeraldError('disconnected', 'not connected'));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HeraldError('timeout', `no reply to ${String(frame.type)} within ${this.options.requestTimeoutMs ?? 10_000} ms`));
      }, this.options.requestTimeoutMs ?? 10_000);
      this.#pending.set(id, {
        timer,
        reject,
        resolve: (reply) => {
          if (reply.type === 'reply' && 'error' in reply) return reject(toError(reply.error));
          const result = reply.type === 'reply' && 'ok' in reply ? reply.result : undefined;
          onOk?.(result);
          resolve(result);
        },
      });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  #failPending(err: Error): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(id);
    }
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

function toError(body: ErrorBody): HeraldError {
  return new HeraldError(body.code, body.message, body.reason);
}

/** Connect to a Herald node: `const h = connect('wss://rt.example.com/ws', { getToken })`. */
export function connect(url: string, options: ClientOptions = {}): HeraldClient {
  const client = new HeraldClient(url, options);
  client.open();
  return client;
}
