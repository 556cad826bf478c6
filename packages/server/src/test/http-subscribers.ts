/**
 * @module test/http-subscribers
 * The SSE and long-poll sides of the tests: a real EventSource client (the `eventsource`
 * package, which reconnects with Last-Event-ID like a browser) that records what it sees, and
 * one long-poll request.
 */
import type { MessageFrame, PollResponse } from '@herald/protocol';
import { EventSource } from 'eventsource';
import { waitUntil } from './helpers.js';

export interface SseEvent {
  type: string;
  /** The parsed `data:` line. */
  data: { type: string; channel?: string; [key: string]: unknown };
  /** The stream's last event id after this event ('' for one without an `id:` line, such as presence: the `eventsource` package reports none). */
  id: string;
}

const open = new Set<SseClient>();

/** Close every SseClient still open (EventSource reconnects forever, so a failed test must not leave one behind). */
export function closeSseClients(): void {
  for (const client of open) client.close();
}

export class SseClient {
  readonly events: SseEvent[] = [];
  /** Connection errors (drops, refusals): the HTTP status when there was one. */
  readonly failures: Array<number | undefined> = [];
  readonly es: EventSource;

  /** Records the events Herald sends (`subscribed`, `error`, unnamed messages) plus `eventNames`. */
  constructor(url: string, eventNames: string[] = []) {
    this.es = new EventSource(url);
    open.add(this);
    for (const type of ['message', 'subscribed', 'error', ...eventNames]) {
      this.es.addEventListener(type, (event: Event) => {
        if (event instanceof MessageEvent) {
          this.events.push({ type, data: JSON.parse(event.data as string) as SseEvent['data'], id: event.lastEventId });
        } else {
          this.failures.push((event as Event & { code?: number }).code);
        }
      });
    }
  }

  messages(channel?: string): MessageFrame[] {
    return this.events.map((e) => e.data).filter((d): d is MessageFrame & SseEvent['data'] => d.type === 'message' && (channel === undefined || d.channel === channel));
  }

  subscribed(): SseEvent['data'][] {
    return this.events.filter((e) => e.type === 'subscribed').map((e) => e.data);
  }

  waitForMessages(count: number, channel?: string, timeoutMs = 5000): Promise<MessageFrame[]> {
    return waitUntil(() => this.messages(channel).length >= count && this.messages(channel), timeoutMs, () => `${count} SSE messages (have ${this.messages(channel).length})`);
  }

  /** Waits for `count` subscribed events in total (one per channel per (re)connection). */
  waitForSubscribed(count: number, timeoutMs = 5000): Promise<SseEvent['data'][]> {
    return waitUntil(() => this.subscribed().length >= count && this.subscribed(), timeoutMs, () => `${count} subscribed events (have ${this.subscribed().length})`);
  }

  close(): void {
    this.es.close();
    open.delete(this);
  }
}

/** One `GET /poll`; `channels` and `cursor` become query parameters. */
export async function poll(url: string, channels: string[], cursor?: string, extra = ''): Promise<{ status: number; body: PollResponse & { error?: { code: string } }; headers: Headers; ms: number }> {
  const query = channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&') + (cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`) + extra;
  const start = Date.now();
  const res = await fetch(`${url}/poll?${query}`);
  return { status: res.status, body: (await res.json()) as PollResponse, headers: res.headers, ms: Date.now() - start };
}

/** The `data` of messages, for comparing sequences. */
export const dataOf = (messages: MessageFrame[]) => messages.map((m) => m.data);
