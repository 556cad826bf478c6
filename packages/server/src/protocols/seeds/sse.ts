/**
 * @module protocols/seeds/sse
 * The SSE side shared by the seed adapters: a response turned into a SeedConnection, with a
 * comment line on every stream every `heartbeatSeconds` so proxies never see it idle
 * (EventSource ignores comments).
 */
import type { ServerResponse } from 'node:http';
import type { ClientIdentity } from '../../auth/access.js';
import type { ConnectionContext } from '../../connection/connection.js';
import type { Encoder } from '../../hub/subscriber.js';
import { SpreadMap, visitSpread } from '../../transports/spread.js';
import { SeedConnection, type SeedSocket } from './connection.js';

const HEARTBEAT = Buffer.from(':\n\n');

class SseSocket implements SeedSocket {
  constructor(readonly res: ServerResponse) {}

  write(data: Buffer): void {
    if (this.res.writableEnded) return;
    this.res.write(data);
    this.res.socket?.uncork();
  }

  bufferedBytes(): number {
    return this.res.writableLength;
  }

  close(): void {
    // The seeds' streams carried no error events: the stream just ends, and EventSource reconnects.
    if (!this.res.writableEnded) this.res.end();
  }
}

export class SeedSseStreams {
  readonly #live = new SpreadMap<ServerResponse, SeedConnection>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    readonly context: ConnectionContext,
    heartbeatSeconds: number,
    /** Whether the node is at `limits.max_connections` (every protocol together). */
    readonly full: () => boolean,
  ) {
    this.#heartbeat = visitSpread(this.#live, heartbeatSeconds * 1000, (res) => {
      if (!res.writableEnded) res.write(HEARTBEAT);
    });
  }

  get size(): number {
    return this.#live.size;
  }

  /** Start the stream with `headers` and make its connection. */
  open(res: ServerResponse, headers: Record<string, string>, encoder: Encoder, identity: ClientIdentity): SeedConnection {
    res.writeHead(200, headers);
    res.flushHeaders();
    const connection = new SeedConnection(this.context, encoder, new SseSocket(res), 'sse', identity);
    this.#live.set(res, connection);
    res.on('close', () => {
      this.#live.delete(res);
      connection.transportClosed();
    });
    return connection;
  }

  async closeAll(code: number, reason: string): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const connection of [...this.#live.values()]) connection.close(code, reason);
    await Promise.resolve();
  }
}
