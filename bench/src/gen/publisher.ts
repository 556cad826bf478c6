/**
 * @module gen/publisher
 * HTTP publisher with keep-alive connections. The publish timestamp is wall-clock microseconds
 * (performance.timeOrigin + performance.now()), taken immediately before the request is
 * written, so the measured latency covers HTTP parsing, the server's fan-out and delivery.
 * node:http with a keep-alive Agent is used rather than fetch: it is cheaper per request and
 * the publisher shares its core with the subscribers.
 */
import { Agent, request } from 'node:http';

export interface PublishTarget {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Channel published to (default `bench`; a Pusher app's channel has its namespace in front). */
  channel?: string;
}

export class Publisher {
  private readonly agent: Agent;
  private readonly pad: string;
  private readonly channel: string;

  /**
   * @param connections keep-alive connections (= the most requests in flight at once)
   * @param payloadBytes approximate size of the published `data` JSON; padded with a string
   */
  constructor(
    private readonly target: PublishTarget,
    connections: number,
    payloadBytes: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
    const base = `{"bs":0000,"bt":1800000000000000,"p":""}`.length;
    this.pad = 'x'.repeat(Math.max(0, payloadBytes - base));
    this.channel = JSON.stringify(target.channel ?? 'bench');
  }

  /** Publishes seq; resolves with the HTTP status (0 on a transport error). */
  publish(seq: number): Promise<number> {
    const sentUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    const body = `{"channel":${this.channel},"data":{"bs":${seq},"bt":${sentUs},"p":"${this.pad}"}}`;
    return new Promise((resolve) => {
      const req = request(
        {
          host: this.target.host,
          port: this.target.port,
          method: 'POST',
          path: this.target.path,
          agent: this.agent,
          headers: { ...this.target.headers, 'content-type': 'application/json', 'content-length': String(body.length) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
