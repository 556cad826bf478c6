/**
 * @module protocols/seeds/seed002/session
 * One seed 002 client's commands: `subscribe` (with `listen`), `broadcast`, `presence_join`,
 * `presence_update`, `presence_leave`. As in the seed, nothing is answered and what cannot be
 * done is dropped (logged at debug), never a reason to close.
 *
 * Presence sits on Herald's presence tracker, so it is shared by every node, kept alive while the
 * connection lives, expires with a dead node (TTL) and is left when the connection goes; a
 * member's metadata rides on its entry (a join or update re-adds the entry with the new meta).
 */
import { scanJson } from '../../../json/scan.js';
import type { RawJson } from '../../../json/raw.js';
import { toRawJson } from '../../../json/raw.js';
import type { PresenceEntry } from '../../../presence/presence.js';
import { textFrame } from '../../../transports/websocket-frame.js';
import type { SeedConnection } from '../connection.js';
import type { PresenceFrame, Seed002Names } from './frames.js';

/** A presence entry of a seed 002 member: Herald's entry plus its metadata. */
export interface Seed002Entry extends PresenceEntry {
  meta?: Record<string, unknown>;
  updated_at?: number;
}

type Command = { type?: unknown; channel?: unknown; listen?: unknown; event?: unknown; payload?: unknown };

export class Seed002Session {
  /** Herald channels (main and presence companion) this client wants publications of. */
  readonly #wanted = new Set<string>();
  /** Main channels this client is a presence member of. */
  readonly #present = new Set<string>();

  constructor(
    readonly connection: SeedConnection,
    readonly names: Seed002Names,
  ) {
    connection.skip = (p) => !this.#wanted.has(p.channel);
    connection.onRelease = () => {
      for (const channel of this.#present) void this.#ctx.presence.leave(channel, connection.id);
      this.#present.clear();
    };
  }

  get #ctx() {
    return this.connection.ctx;
  }

  get #user(): string {
    return this.connection.identity.user;
  }

  handle(text: string): void {
    this.#run(text).catch((err: unknown) => this.#ctx.log.debug({ err, client: this.connection.id }, 'seed 002 command dropped'));
  }

  async #run(text: string): Promise<void> {
    scanJson(text, this.#ctx.limits.max_json_depth);
    const command = JSON.parse(text.replace(/\n/g, ' ').trim()) as Command;
    if (typeof command !== 'object' || command === null || typeof command.channel !== 'string' || command.channel === '') return;
    const seedName = command.channel;
    switch (command.type) {
      case 'subscribe':
        return this.#subscribe(seedName, Array.isArray(command.listen) ? command.listen : []);
      case 'broadcast':
        return this.#broadcast(seedName, typeof command.event === 'string' ? command.event : '', 'payload' in command ? toRawJson(command.payload) : toRawJson(null));
      case 'presence_join':
      case 'presence_update':
        if (command.payload !== undefined && command.payload !== null && (typeof command.payload !== 'object' || Array.isArray(command.payload))) return;
        return this.#presence(command.type, seedName, (command.payload ?? undefined) as Record<string, unknown> | undefined);
      case 'presence_leave':
        return this.#leave(seedName);
    }
  }

  /** Replace what this client listens to on the channel; with presence, send it the members. */
  async #subscribe(seedName: string, listen: unknown[]): Promise<void> {
    const broadcast = listen.includes('broadcast');
    const presence = listen.includes('presence');
    const main = this.names.channel(seedName);
    const companion = this.names.presenceChannel(seedName);
    const c = this.connection;
    if ((broadcast || presence) && !c.has(main)) await c.subscribe(await c.check(main), presence);
    if (presence && !c.has(companion)) await c.subscribe(await c.check(companion));
    c.setEvents(main, presence);
    this.#toggle(main, broadcast);
    this.#toggle(companion, presence);
    if (presence) await this.#sync(seedName, main);
  }

  #toggle(channel: string, on: boolean): void {
    if (on) this.#wanted.add(channel);
    else this.#wanted.delete(channel);
  }

  async #sync(seedName: string, main: string): Promise<void> {
    const entries = (await this.#ctx.presence.store.entries(main)) as Seed002Entry[];
    // One per user (the seed keyed presence by user): the latest metadata wins.
    const users = new Map<string, Seed002Entry>();
    for (const e of entries) if ((users.get(e.user)?.updated_at ?? -1) <= (e.updated_at ?? 0)) users.set(e.user, e);
    const list = [...users.values()].map((e) => ({ user_id: e.user, ...(e.meta ? { meta: e.meta } : {}), ...(e.updated_at ? { updated_at: e.updated_at } : {}) }));
    if (!this.connection.closed) this.connection.sendOwn(textFrame(JSON.stringify({ type: 'presence_sync', channel: seedName, users: list })));
  }

  async #broadcast(seedName: string, event: string, data: RawJson): Promise<void> {
    const channel = this.#ctx.channels.resolve(this.names.channel(seedName));
    if (!channel.options.allow_client_publish) return;
    this.#ctx.access.checkPublish(this.connection.identity, channel);
    const echo = channel.options.echo ? {} : { echo: false as const };
    await this.#ctx.hub.publish(channel, { event, data, info: { user: this.#user, client: this.connection.id }, ...echo });
  }

  async #presence(type: PresenceFrame['type'], seedName: string, meta: Record<string, unknown> | undefined): Promise<void> {
    const main = this.#ctx.channels.resolve(this.names.channel(seedName));
    const companion = this.#ctx.channels.resolve(this.names.presenceChannel(seedName));
    if (!main.options.presence) return;
    this.#ctx.access.checkPresence(this.connection.identity, main, true);
    const updatedAt = Math.floor(Date.now() / 1000);
    const entry: Seed002Entry = { user: this.#user, client: this.connection.id, updated_at: updatedAt, ...(meta ? { meta } : {}) };
    this.#present.add(main.name);
    await this.#ctx.presence.join(main.name, entry);
    if (this.connection.closed) return;
    const frame: PresenceFrame = { type, channel: seedName, user_id: this.#user, ...(meta ? { meta } : {}), updated_at: updatedAt, ts: Date.now() };
    await this.#ctx.hub.publish(companion, { event: type, data: toRawJson(frame) });
  }

  async #leave(seedName: string): Promise<void> {
    const main = this.names.channel(seedName);
    if (!this.#present.delete(main)) return;
    // The leave event the tracker announces (on the user's last connection) becomes presence_leave.
    await this.#ctx.presence.leave(main, this.connection.id);
  }
}
