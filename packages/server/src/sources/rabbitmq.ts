/**
 * @module sources/rabbitmq
 * The RabbitMQ source (AMQP 0-9-1, `amqplib`): manual acks once Herald has the publication,
 * prefetch-bounded, poison published (confirmed) to a dead-letter queue before its ack.
 *
 * Competing consumers on one queue would hand one channel's messages to two nodes at once (out of
 * order), so each queue is consumed by one node at a time through an *exclusive* consumer: the
 * broker refuses a second one, and frees the queue the moment the holder's connection dies,
 * requeueing its unacked messages at their original positions. Several queues spread over the
 * live nodes, a fair share each; a node counts the live nodes as the consumers of a members queue
 * every node subscribes to. A node gives a queue back between batches by closing its channel: the
 * broker requeues what was prefetched in the same step, so the next holder starts where it stopped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message } from 'amqplib';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import type { SourceConfig } from '../config/source-schema.js';
import type { Deliver, DryRunnable, Source, SourceHealth, SourceRecord, Verdict } from './source.js';
import { Backoff, errorText, Wakeup } from './timing.js';

const KEY_SAFE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Header and property values as the mapping's string fields. */
function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean);
}

/**
 * A message as a record: the body as `data`, each header by its name, and the properties
 * `routing_key`, `exchange`, `queue`, `message_id`, `type`, `correlation_id`, `app_id`. The record
 * id, and so the default idempotency key, is the `message_id` when the publisher set one (stable
 * across redeliveries); without it every delivery is a record of its own.
 */
export function amqpRecord(queue: string, msg: Message, connection: string): SourceRecord {
  const fields: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(msg.properties.headers ?? {})) fields[name] = fieldText(value);
  Object.assign(fields, {
    data: msg.content.toString('utf8'),
    routing_key: msg.fields.routingKey,
    exchange: msg.fields.exchange,
    queue,
    message_id: fieldText(msg.properties.messageId),
    type: fieldText(msg.properties.type),
    correlation_id: fieldText(msg.properties.correlationId),
    app_id: fieldText(msg.properties.appId),
  });
  const messageId = fields.message_id;
  const id =
    messageId === undefined
      ? `${queue}:${connection}:${msg.fields.deliveryTag}`
      : KEY_SAFE.test(messageId)
        ? messageId
        : createHash('sha256').update(messageId).digest('base64url').slice(0, 32);
  return { id, fields };
}

/** One queue this node holds: its channel, the exclusive consumer's prefetched messages, the loop publishing them. */
class Lane {
  readonly buffer: ConsumeMessage[] = [];
  readonly wakeup = new Wakeup();
  /** Set when the channel is gone (connection lost, consumer cancelled) or being given back. */
  done = false;
  loop: Promise<void> = Promise.resolve();
  constructor(
    readonly queue: string,
    readonly channel: Channel,
  ) {}

  finish(): void {
    this.done = true;
    this.wakeup.wake();
  }
}

export class RabbitMqSource implements Source, DryRunnable {
  readonly #settings: SourceConfig['rabbitmq'];
  readonly #connectionName: string;
  readonly #connectionTag = randomBytes(4).toString('hex');
  readonly #lanes = new Map<string, Lane>();
  readonly #reconnect = new Wakeup();
  #stopNow: () => void = () => {};
  readonly #stopping = new Promise<void>((resolve) => (this.#stopNow = resolve));
  #health: SourceHealth = { up: false, reason: 'starting', lag: -1 };
  #conn: ChannelModel | undefined;
  #control: Channel | undefined;
  #dead: ConfirmChannel | undefined;
  #deliver: Deliver | undefined;
  #stopped = false;
  #ticking = false;
  #ticker: NodeJS.Timeout | undefined;
  #main: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly config: SourceConfig,
    readonly log: Logger,
  ) {
    this.#settings = config.rabbitmq;
    if (this.#settings.queues.length === 0) throw new ConfigError(`config: sources.${name}.rabbitmq.queues must name at least one queue`);
    this.#connectionName = `herald-source:${name}:${hostname()}-${process.pid}-${this.#connectionTag}`;
  }

  health(): SourceHealth {
    return this.#health;
  }

  /** Where this source's nodes count each other: one consumer per live node. */
  get membersQueue(): string {
    return `${this.#settings.queues[0]}.herald-nodes`;
  }

  deadQueue(queue: string): string {
    return `${queue}${this.#settings.dead_letter_suffix}`;
  }

  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    this.#main = this.#run();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return this.#main;
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#reconnect.wake();
    // Each batch in hand settled and its queue given back before the connection closes.
    await Promise.all([...this.#lanes.values()].map((lane) => this.#giveBack(lane)));
    this.#stopNow();
    await this.#main;
  }

  async migrate(): Promise<void> {
    const conn = await this.#open();
    try {
      await this.#declare(await conn.createChannel());
    } finally {
      await conn.close().catch(() => {});
    }
  }

  /** Up to `limit` messages waiting in the queues (not those a node holds unacked), requeued untouched. */
  async peek(limit: number): Promise<SourceRecord[]> {
    const conn = await this.#open();
    try {
      const channel = await conn.createChannel();
      const out: SourceRecord[] = [];
      for (const queue of this.#settings.queues) {
        for (let msg; out.length < limit && (msg = await channel.get(queue, { noAck: false })); ) out.push(amqpRecord(queue, msg, this.#connectionTag));
      }
      await channel.close(); // requeues what we got, at its original positions
      return out;
    } finally {
      await conn.close().catch(() => {});
    }
  }

  #open(): Promise<ChannelModel> {
    const url = new URL(this.#settings.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', '10');
    return amqp.connect(url.toString(), { clientProperties: { connection_name: this.#connectionName } });
  }

  async #declare(channel: Channel): Promise<void> {
    for (const queue of this.#settings.queues) {
      const dead = this.deadQueue(queue);
      await channel.assertQueue(dead, { durable: true });
      // The broker's own dead letters (a TTL, a length limit, a reject) land beside Herald's.
      if (this.#settings.declare) await channel.assertQueue(queue, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: dead });
      else await channel.checkQueue(queue);
    }
    // Unused for a minute (no node left), it goes away.
    await channel.assertQueue(this.membersQueue, { durable: false, expires: 60_000, maxLength: 0 });
  }

  /** Connect, take queues, and on a lost connection start over with backoff, until stopped. */
  async #run(): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!this.#stopped) {
      try {
        const conn = await this.#open();
        this.#conn = conn;
        const lost = new Promise<void>((resolve) => conn.once('close', () => resolve()));
        conn.on('error', () => {}); // followed by 'close'
        const control = await conn.createChannel();
        control.on('error', () => {});
        // The broker closes a channel on a failed command (a queue deleted under us: 404): start over,
        // declaring again, rather than go on with a dead control channel.
        control.once('close', () => void (this.#stopped ? undefined : conn.close().catch(() => {})));
        await this.#declare(control);
        await control.consume(this.membersQueue, () => {}, { noAck: true });
        const dead = await conn.createConfirmChannel();
        dead.on('error', () => {});
        [this.#control, this.#dead] = [control, dead];
        this.#health = { ...this.#health, up: true, reason: undefined };
        backoff.reset();
        this.#ticker = setInterval(() => void this.#tick(), this.#settings.rebalance_ms);
        void this.#tick();
        await Promise.race([lost, this.#stopping]);
        clearInterval(this.#ticker);
        if (this.#stopped) {
          await conn.close().catch(() => {});
          break;
        }
        throw new Error('connection to RabbitMQ closed');
      } catch (err) {
        clearInterval(this.#ticker);
        this.#dropLanes();
        await this.#conn?.close().catch(() => {}); // still open when declaring failed (a queue missing with `declare: false`)
        this.#conn = this.#control = this.#dead = undefined;
        if (this.#stopped) break;
        this.#health = { ...this.#health, up: false, reason: errorText(err) };
        this.log.warn({ source: this.name, err: errorText(err) }, 'rabbitmq source: connection failed; reconnecting');
        await this.#reconnect.sleep(backoff.next());
      }
    }
  }

  /** The connection is gone: the broker requeued every unacked message; forget what we held. */
  #dropLanes(): void {
    for (const lane of this.#lanes.values()) {
      lane.buffer.length = 0;
      lane.finish();
    }
    this.#lanes.clear();
  }

  /** Count the nodes, take free queues up to our fair share, give back those above it, measure the lag. */
  async #tick(): Promise<void> {
    const control = this.#control;
    if (!control || this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      const queues = this.#settings.queues;
      const nodes = Math.max(1, (await control.checkQueue(this.membersQueue)).consumerCount);
      const share = Math.ceil(queues.length / nodes);
      const surplus = [...this.#lanes.values()].slice(share);
      await Promise.all(surplus.map((lane) => this.#giveBack(lane)));
      // Start at a different queue on each node, so two nodes joining at once rarely race for the same one.
      const offset = Number.parseInt(this.#connectionTag, 16) % queues.length;
      for (let i = 0; i < queues.length && this.#lanes.size < share && !this.#stopped; i++) {
        const queue = queues[(offset + i) % queues.length]!;
        if (!this.#lanes.has(queue)) await this.#take(queue);
      }
      let lag = 0;
      for (const queue of queues) lag += (await control.checkQueue(queue)).messageCount;
      for (const lane of this.#lanes.values()) lag += lane.buffer.length;
      this.#health = { ...this.#health, lag };
    } catch (err) {
      this.log.warn({ source: this.name, err: errorText(err) }, 'rabbitmq source: rebalance failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** Become the queue's exclusive consumer, unless another node is. */
  async #take(queue: string): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    const channel = await conn.createChannel();
    channel.on('error', () => {}); // an exclusive consumer refused closes the channel; 'close' follows
    const lane = new Lane(queue, channel);
    channel.once('close', () => {
      if (this.#lanes.get(queue) === lane) this.#lanes.delete(queue);
      lane.buffer.length = 0; // requeued by the broker
      lane.finish();
    });
    await channel.prefetch(this.#settings.prefetch);
    try {
      await channel.consume(
        queue,
        (msg) => {
          if (msg === null) return void channel.close().catch(() => {}); // cancelled by the broker (queue deleted)
          lane.buffer.push(msg);
          lane.wakeup.wake();
        },
        { exclusive: true },
      );
    } catch {
      return; // in exclusive use by another node: its channel is closed already
    }
    this.#lanes.set(queue, lane);
    lane.loop = this.#consume(lane);
  }

  /** Give a queue back between two batches: closing the channel requeues the rest in one step. */
  async #giveBack(lane: Lane): Promise<void> {
    if (this.#lanes.get(lane.queue) === lane) this.#lanes.delete(lane.queue);
    lane.finish();
    await lane.loop;
    await lane.channel.close().catch(() => {});
  }

  async #consume(lane: Lane): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!lane.done) {
      if (lane.buffer.length === 0) {
        await lane.wakeup.sleep(1000);
        continue;
      }
      const batch = lane.buffer.splice(0, this.config.batch_size);
      const records = batch.map((msg) => amqpRecord(lane.queue, msg, this.#connectionTag));
      const verdicts = await this.#deliver!(records);
      try {
        if (await this.#settle(lane, batch, records, verdicts)) await lane.wakeup.sleep(backoff.next());
        else backoff.reset();
      } catch (err) {
        // The channel died under us: the broker requeued the batch; the idempotency keys make its redelivery harmless.
        this.log.warn({ source: this.name, queue: lane.queue, err: errorText(err) }, 'rabbitmq source: could not settle a batch; it will be redelivered');
        lane.finish();
      }
    }
  }

  /** Dead-letter the poison (confirmed), ack what is settled, requeue the rest in order. True when something is retried. */
  async #settle(lane: Lane, batch: ConsumeMessage[], records: SourceRecord[], verdicts: Verdict[]): Promise<boolean> {
    const dead = this.#dead;
    let deadLettered = false;
    for (const [i, verdict] of verdicts.entries()) {
      if (verdict.kind !== 'dead') continue;
      const msg = batch[i]!;
      const headers = { ...msg.properties.headers, 'x-herald-reason': verdict.reason, 'x-herald-source-id': records[i]!.id };
      if (!dead) throw new Error('no connection for the dead letters');
      dead.sendToQueue(this.deadQueue(lane.queue), msg.content, { ...msg.properties, headers, persistent: true });
      deadLettered = true;
    }
    if (deadLettered) await dead!.waitForConfirms();
    if (verdicts.every((v) => v.kind !== 'retry')) {
      lane.channel.ack(batch[batch.length - 1]!, true);
      return false;
    }
    for (const [i, verdict] of verdicts.entries()) if (verdict.kind !== 'retry') lane.channel.ack(batch[i]!);
    // Requeue the retried and everything prefetched after them: the broker puts each back at its
    // original position and hands them out again in queue order, so no younger record overtakes.
    lane.channel.nackAll(true);
    lane.buffer.length = 0;
    return true;
  }
}
