/**
 * @module protocols/seeds/seed001/created
 * Channels created through `POST /api/v1/channels`, shared by every node and worker: each
 * creation is a publication of one Herald channel with a long history, which every node reads at
 * start and then follows live, so a page may create a channel on one node and connect on another.
 */
import type { Publication } from '../../../broker/broker.js';
import type { ResolvedChannel } from '../../../channels/channels.js';
import type { ConnectionContext } from '../../../connection/connection.js';
import type { Subscription } from '../../../hub/hub.js';
import type { Encoder, Subscriber } from '../../../hub/subscriber.js';
import { toRawJson } from '../../../json/raw.js';
import type { ChannelType } from './registry.js';

const NOTHING = Buffer.alloc(0);
const RETRY_MS = 3_000;

export interface CreatedChannel {
  id: string;
  type: ChannelType;
  max: number;
}

/** A creation as published, or undefined for anything else someone put in the channel. */
function parseCreated(data: string): CreatedChannel | undefined {
  try {
    const c = JSON.parse(data) as Partial<CreatedChannel>;
    const valid = typeof c.id === 'string' && c.id !== '' && (c.type === 'WS' || c.type === 'SSE') && Number.isInteger(c.max) && c.max! > 0;
    return valid ? { id: c.id!, type: c.type!, max: c.max! } : undefined;
  } catch {
    return undefined;
  }
}

export class CreatedChannels implements Subscriber {
  readonly encoder: Encoder = { message: () => NOTHING };
  #subscription: Subscription | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly ctx: ConnectionContext,
    /** The Herald channel holding the creations. */
    readonly name: string,
    readonly apply: (channel: CreatedChannel) => void,
  ) {}

  /**
   * Follow the creations; never rejects: while the engine cannot answer (a node may start before
   * it), this is retried every few seconds in the background.
   */
  async start(): Promise<void> {
    this.#stopped = false;
    try {
      await this.#follow();
    } catch (err) {
      if (this.#stopped) return;
      this.ctx.log.warn({ err }, 'seed 001 created channels unavailable; retrying');
      this.#retry = setTimeout(() => void this.start(), RETRY_MS).unref();
    }
  }

  /** Read every creation the engine still holds, then follow new ones from exactly there. */
  async #follow(): Promise<void> {
    const channel = this.ctx.channels.resolve(this.name);
    const history = { size: channel.options.history_size, ttlMs: channel.options.history_ttl_seconds * 1000 };
    const past = await this.ctx.hub.broker.history(channel.name, { limit: history.size, create: true }, history);
    for (const p of past.publications) this.#take(p);
    await new Promise<void>((resolve, reject) => {
      this.#subscription = this.ctx.hub.subscribe(this, channel, { since: { offset: past.offset, epoch: past.epoch }, onResult: () => resolve(), onError: reject });
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    if (this.#subscription) this.ctx.hub.unsubscribe(this.#subscription);
    this.#subscription = undefined;
  }

  /** Share with every node (the others apply it when it arrives); here it applies as soon as the engine has it. */
  async publish(created: CreatedChannel, channel: ResolvedChannel): Promise<void> {
    await this.ctx.hub.publish(channel, { data: toRawJson(created) });
    this.apply(created);
  }

  send(_frame: Buffer, publication?: Publication): boolean {
    if (publication) this.#take(publication);
    return true;
  }

  #take(publication: Publication): void {
    const created = parseCreated(publication.data);
    if (created) this.apply(created);
  }

  flush(): void {}

  overflow(): void {
    this.resync();
  }

  /** Publications were lost between nodes: read it all again. */
  resync(): void {
    this.stop();
    void this.start();
  }
}
