/**
 * @module connection/client-publish
 * A client's `publish` frame: the namespace's permission, rates and publish hook, then the hub.
 */
import { ErrorCode, type StreamPosition } from '@herald/protocol';
import type { ClientIdentity } from '../auth/access.js';
import type { PublishMessage } from '../broker/broker.js';
import type { ResolvedChannel } from '../channels/channels.js';
import { HeraldError } from '../errors.js';
import type { RawJson } from '../json/raw.js';
import type { Connection, ConnectionContext } from './connection.js';
import { TokenBucket } from './rate-limit.js';

/** The fields of a `publish` frame that reach the hub. */
export interface ClientPublish {
  channel: unknown;
  event?: string;
  /** Conflation key (docs/protocol.md#conflation). */
  key?: string;
  data: RawJson;
}

/** One connection's publishing: it keeps that connection's per-namespace publish budgets. */
export class ClientPublisher {
  /** Per namespace with `client_publish_per_second`: this connection's publish budget there. */
  readonly #limiters = new Map<string, TokenBucket>();

  constructor(private readonly ctx: ConnectionContext) {}

  /** Publish for `conn`, whose identity and presence info are given; resolves with the position. */
  async publish(conn: Connection, identity: ClientIdentity, info: { user: string; client: string }, { channel: name, event, key, data }: ClientPublish): Promise<StreamPosition> {
    const channel = this.ctx.channels.resolve(name);
    if (!channel.options.allow_client_publish) {
      throw new HeraldError(ErrorCode.Forbidden, `namespace "${channel.namespace}" does not allow client publishing`);
    }
    this.ctx.access.checkPublish(identity, channel);
    this.#checkRate(channel);
    await this.ctx.userLimits.publish(conn);
    const hook = channel.options.publish_hook;
    if (hook && this.ctx.hooks.publish) {
      const rewritten = await this.ctx.hooks.publish(hook, conn.caller, channel.name, event, data);
      if (rewritten.data !== undefined) data = rewritten.data;
    }
    // The sender's identity comes from the connection, never from the frame: it cannot be forged.
    const message: PublishMessage = { data, info };
    if (event !== undefined) message.event = event;
    if (key !== undefined) message.key = key;
    if (!channel.options.echo) message.echo = false;
    const position = await this.ctx.hub.publish(channel, message);
    this.ctx.webhooks.emit({ type: 'client.publish', channel: channel.name, info, ...(event === undefined ? {} : { event }), data, ...position });
    return position;
  }

  #checkRate(channel: ResolvedChannel): void {
    const rate = channel.options.client_publish_per_second;
    if (rate === 0) return;
    let bucket = this.#limiters.get(channel.namespace);
    if (!bucket) this.#limiters.set(channel.namespace, (bucket = new TokenBucket(rate)));
    if (!bucket.take()) throw new HeraldError(ErrorCode.RateLimited, `more than ${rate} publishes per second to namespace "${channel.namespace}"`);
  }
}
