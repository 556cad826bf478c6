/**
 * @module transports/http
 * SSE and long-poll sessions for clients that cannot hold a WebSocket. Both speak to Herald over
 * plain `fetch` (browsers and Node 20 alike, headers allowed), name their channels in the URL and
 * resume each channel from the client's own last position, sent as the cursor Herald issues
 * (`epoch:offset` per channel, in URL order; see docs/protocol.md). SSE also carries the presence
 * events of the channels that ask for them; long-poll has none.
 */
import { formatCursor, type ErrorBody, type MessageFrame, type PresenceEventFrame, type PresenceFrame, type StreamPosition, type SubscribeResult, type UnsubscribedFrame } from '@herald/protocol';

export interface HttpSessionEvents {
  /** The stream or first poll is established. */
  open(): void;
  /** `server`: a server-side subscription of the stream (docs/protocol.md#server-side-subscriptions). */
  subscribed(channel: string, result: SubscribeResult & { server?: true }): void;
  /** `text`: the frame's JSON as received (SSE), from which a delta subscription keeps the exact data. */
  message(frame: MessageFrame, text?: string): void;
  /** SSE only: the server refused or ended a subscription (docs/protocol.md). */
  unsubscribed(frame: UnsubscribedFrame): void;
  /** SSE only: a channel's member list, or a join/leave (the same frames as on WebSocket). */
  presence(frame: PresenceFrame | PresenceEventFrame): void;
  /** The session ended; `status` is the HTTP status when the server refused it (0 otherwise). */
  closed(status: number, error: ErrorBody | undefined): void;
}

export interface HttpSessionOptions {
  base: string;
  channels: string[];
  positions: Array<StreamPosition | undefined>;
  /** SSE only: the channels whose presence events are wanted (`presence=`); long-poll ignores it. */
  presence?: string[];
  /** SSE only: positions of the server-side subscriptions, as the `since` JSON object. */
  since?: string;
  /** SSE only: the channels with delta compression (`delta=`); long-poll ignores it. */
  delta?: string[];
  token: string | undefined;
  events: HttpSessionEvents;
}

function parseCursor(cursor: string): Array<StreamPosition | undefined> {
  return cursor.split(',').map((entry) => {
    const i = entry.lastIndexOf(':');
    return i === -1 ? undefined : { epoch: decodeURIComponent(entry.slice(0, i)), offset: Number(entry.slice(i + 1)) };
  });
}

/** `lists` are repeated parameters (`channel=a&channel=b`); `extra` single ones, left out when empty. */
function url(base: string, path: string, lists: Record<string, readonly string[]>, extra: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, values] of Object.entries(lists)) for (const v of values) q.append(k, v);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') q.set(k, v);
  return `${base}${path}?${q}`;
}

async function refusal(res: Response): Promise<ErrorBody | undefined> {
  try {
    return ((await res.json()) as { error?: ErrorBody }).error;
  } catch {
    return undefined;
  }
}

/** One SSE stream for all channels; ends on error, close or abort. */
export function openSse(options: HttpSessionOptions): { close(): void } {
  const controller = new AbortController();
  const { events } = options;
  void (async () => {
    let status = 0;
    let error: ErrorBody | undefined;
    try {
      const res = await fetch(url(options.base, '/sse', { channel: options.channels, presence: options.presence ?? [], delta: options.delta ?? [] }, { token: options.token, last_event_id: formatCursor(options.positions), since: options.since }), {
        headers: { accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (!res.ok || !res.body) {
        status = res.status;
        error = await refusal(res);
        return;
      }
      events.open();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const frame = JSON.parse(data) as { type: string; channel?: string; error?: ErrorBody };
          if (frame.type === 'message') events.message(frame as MessageFrame, data);
          else if (frame.type === 'subscribed') events.subscribed(frame.channel!, frame as unknown as SubscribeResult & { server?: true });
          else if (frame.type === 'unsubscribed') events.unsubscribed(frame as UnsubscribedFrame);
          else if (frame.type === 'presence' || frame.type === 'join' || frame.type === 'leave' || frame.type === 'update') events.presence(frame as PresenceFrame | PresenceEventFrame);
          else if (type === 'error' || frame.type === 'error') error = frame.error;
        }
      }
    } catch {
      // network failure or abort: reported as status 0 below
    } finally {
      events.closed(status, error);
    }
  })();
  return { close: () => controller.abort() };
}

/** A long-poll loop; each answer carries the messages and the cursor for the next request. */
export function openLongPoll(options: HttpSessionOptions): { close(): void } {
  const controller = new AbortController();
  const { events, channels } = options;
  let cursor = formatCursor(options.positions);
  void (async () => {
    let status = 0;
    let error: ErrorBody | undefined;
    let first = true;
    try {
      for (;;) {
        const res = await fetch(url(options.base, '/poll', { channel: channels }, { token: options.token, cursor }), { signal: controller.signal });
        if (!res.ok) {
          status = res.status;
          error = await refusal(res);
          return;
        }
        const batch = (await res.json()) as { messages: MessageFrame[]; cursor: string; reset?: Array<{ channel: string; reason: SubscribeResult['reason'] }> };
        const positions = parseCursor(batch.cursor);
        if (first) {
          events.open();
          channels.forEach((channel, i) => {
            const reset = batch.reset?.find((r) => r.channel === channel);
            const at = positions[i] ?? { offset: 0, epoch: '' };
            const result: SubscribeResult = reset ? { ...at, recovered: false, reason: reset.reason! } : options.positions[i] ? { ...at, recovered: true } : at;
            events.subscribed(channel, result);
          });
          first = false;
        } else {
          for (const reset of batch.reset ?? []) {
            const i = channels.indexOf(reset.channel);
            events.subscribed(reset.channel, { ...(positions[i] ?? { offset: 0, epoch: '' }), recovered: false, reason: reset.reason! });
          }
        }
        for (const m of batch.messages) events.message(m);
        cursor = batch.cursor;
      }
    } catch {
      // network failure or abort
    } finally {
      events.closed(status, error);
    }
  })();
  return { close: () => controller.abort() };
}
