/**
 * @module test/sdk-subscribers
 * Real SDK clients (@herald/client) subscribed to one channel, each recording the numbered
 * messages it got and any offset it got twice: what the failover tests count as lost or duplicated.
 */
import assert from 'node:assert/strict';
import { connect, type HeraldClient, type Subscription } from '@herald/client';
import { waitUntil } from './helpers.js';

export class SdkSubscribers {
  readonly clients: HeraldClient[] = [];
  readonly subscriptions: Subscription[] = [];
  /** Per client, the `data` of each message in arrival order (publishers send 1, 2, 3…). */
  readonly got: number[][] = [];
  readonly duplicates: number[] = [];
  /** Per client, the node it first connected to, and the one it is on now. */
  readonly firstNode: string[] = [];
  readonly node: string[] = [];

  /** `count` clients on `url` (quick reconnects), all subscribing to `channel`. */
  constructor(url: string, channel: string, count: number) {
    for (let i = 0; i < count; i++) {
      const client = connect(url, { backoff: { initialMs: 20, maxMs: 200, factor: 2 } });
      client.on('connected', ({ node }) => {
        this.firstNode[i] ??= node;
        this.node[i] = node;
      });
      const seen: number[] = [];
      const offsets = new Set<number>();
      this.got.push(seen);
      this.subscriptions.push(
        client.subscribe(channel, (m) => {
          if (offsets.has(m.offset)) this.duplicates.push(m.offset);
          offsets.add(m.offset);
          seen.push(m.data as number);
        }),
      );
      this.clients.push(client);
    }
  }

  /** Connected and subscribed, not just connected: a new subscription gets what is published after it. */
  allSubscribed(): boolean {
    return this.clients.every((c) => c.state === 'connected') && this.subscriptions.every((s) => s.state === 'subscribed');
  }

  /** Wait until every client has `total` messages, then assert each got exactly 1…total, in order, once. */
  async expectAll(total: number, what: () => string): Promise<void> {
    const missing = (seen: number[]) => Array.from({ length: total }, (_, i) => i + 1).filter((n) => !seen.includes(n));
    await waitUntil(
      () => this.got.every((seen) => seen.length >= total),
      30_000,
      () => `all ${total} messages on every client; missing per client (${what()}): ${JSON.stringify(this.got.map(missing))}`,
    );
    assert.deepEqual(this.duplicates, []);
    for (const seen of this.got) assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i + 1));
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
