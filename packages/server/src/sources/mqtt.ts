/**
 * @module sources/mqtt
 * The MQTT source (MQTT 5, the `mqtt` client): topic filters subscribed at QoS 1, a message acked
 * (PUBACK) only once Herald has the publication, poison published to a dead-letter topic first.
 *
 * A shared subscription (`$share/…`) hands one topic's messages to several nodes in turn, so they
 * would publish one channel's messages side by side, out of order. Instead each topic filter lives
 * in a persistent session of its own (client id `<client_id>-<source>-<index>`, clean start off, a session
 * expiry): the broker queues its messages while no node holds it and hands the unacked ones out
 * again to the next holder, first. One node at a time holds a session, the holder of its lease: a
 * retained message `<lease_topic>/<source>/leases/<index>` = `<node> <until ms>`, renewed every
 * third of `lease_seconds` and confirmed one renewal after it was claimed (of two nodes claiming
 * at once, the retained message keeps the later, which both then see). Nodes announce themselves
 * the same way (`…/nodes/<node>`, cleared by their will when they die) and take a fair share each.
 *
 * Messages reach a client one at a time (the `mqtt` client acks in order, after its handler), so
 * each topic filter publishes one record after the other; filters run side by side.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import type { SourceConfig } from '../config/source-schema.js';
import type { Deliver, Source, SourceHealth, SourceRecord } from './source.js';
import { Backoff, errorText } from './timing.js';

/**
 * A message as a record: the payload as `data`, `topic` and its levels `topic.0`, `topic.1`…,
 * each user property by name, `content_type`. MQTT gives a message no id that survives a
 * redelivery to another client, so the record id is the filter's index, the packet id (kept when
 * the broker hands an unacked message out again) and a hash of topic and payload: a redelivery is
 * recognised; an `idempotency_key` user property is the sure way.
 */
export function mqttRecord(index: number, packet: Pick<IPublishPacket, 'topic' | 'payload' | 'messageId' | 'properties'>): SourceRecord {
  const fields: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(packet.properties?.userProperties ?? {})) fields[name] = Array.isArray(value) ? value[0] : value;
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
  packet.topic.split('/').forEach((level, i) => (fields[`topic.${i}`] = level));
  Object.assign(fields, { data: payload.toString('utf8'), topic: packet.topic, content_type: packet.properties?.contentType });
  const digest = createHash('sha256').update(packet.topic).update('\0').update(payload).digest('hex').slice(0, 16);
  return { id: `${index}.${packet.messageId ?? 0}.${digest}`, fields };
}

/** A topic filter this node claimed or holds. */
interface Hold {
  until: number;
  confirmed: boolean;
  client?: MqttClient;
  /** The message being published, awaited before the session is let go. */
  inHand: Promise<void>;
  stopping: boolean;
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class MqttSource implements Source {
  readonly #settings: SourceConfig['mqtt'];
  readonly #node = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9_-]/g, '_');
  readonly #base: string;
  /** Retained lease and node messages as last seen, by topic. */
  readonly #retained = new Map<string, string>();
  readonly #holds = new Map<number, Hold>();
  #control: MqttClient | undefined;
  #deliver: Deliver | undefined;
  #health: SourceHealth = { up: false, reason: 'starting', lag: -1 };
  #stopped = false;
  #ticking = false;
  #ticker: NodeJS.Timeout | undefined;
  /** Messages held unpublished on this node: the lag it reports (the broker's queues cannot be read over MQTT). */
  #inHand = 0;

  constructor(
    readonly name: string,
    readonly config: SourceConfig,
    readonly log: Logger,
  ) {
    this.#settings = config.mqtt;
    if (this.#settings.topics.length === 0) throw new ConfigError(`config: sources.${name}.mqtt.topics must name at least one topic filter`);
    this.#base = `${this.#settings.lease_topic}/${name}`;
  }

  health(): SourceHealth {
    return this.#health;
  }

  /** The persistent session of topic filter `index`. */
  sessionClientId(index: number): string {
    return `${this.#settings.client_id}-${this.name}-${index}`;
  }

  deadLetterTopic(topic: string): string {
    return `${this.#settings.dead_letter_prefix}/${topic}`;
  }

  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    const control = mqtt.connect(this.#settings.url, {
      clientId: `${this.#settings.client_id}-${this.name}-${this.#node}`.slice(0, 128),
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      will: { topic: this.#nodeTopic, payload: Buffer.alloc(0), qos: 1, retain: true },
    });
    this.#control = control;
    control.on('message', (topic, payload) => {
      if (payload.length === 0) this.#retained.delete(topic);
      else this.#retained.set(topic, payload.toString());
    });
    control.on('connect', () => {
      this.#health = { ...this.#health, up: true, reason: undefined };
      // Announced at once, so a node starting next to this one counts it before it claims; the
      // retained leases follow the SUBACK, and claims go out only once they are in.
      const until = String(Date.now() + this.#settings.lease_seconds * 1000);
      void control
        .publishAsync(this.#nodeTopic, until, { qos: 1, retain: true })
        .then(() => control.subscribeAsync(`${this.#base}/#`, { qos: 1 }))
        .then(() => sleep(300).then(() => this.#tick()), () => {});
    });
    control.on('close', () => (this.#health = { ...this.#health, up: false, reason: 'connection to the MQTT broker lost' }));
    control.on('error', (err) => (this.#health = { ...this.#health, up: false, reason: errorText(err) }));
    this.#ticker = setInterval(() => void this.#tick(), (this.#settings.lease_seconds * 1000) / 3);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#ticker);
    await Promise.all([...this.#holds.keys()].map((i) => this.#letGo(i, true)));
    const control = this.#control;
    if (control) {
      await this.#publishBounded(this.#nodeTopic, '');
      await control.endAsync(true).catch(() => {});
    }
  }

  /**
   * Create each topic filter's session and subscription, so the broker queues what is published
   * before any node first holds it (a filter nobody subscribed yet loses its messages).
   */
  async migrate(): Promise<void> {
    for (const [index, topic] of this.#settings.topics.entries()) {
      const client = await mqtt.connectAsync(this.#settings.url, this.#sessionOptions(index), false);
      try {
        await client.subscribeAsync(topic, { qos: 1 });
      } finally {
        await client.endAsync(false);
      }
    }
  }

  #sessionOptions(index: number): mqtt.IClientOptions {
    return {
      clientId: this.sessionClientId(index),
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.#settings.session_expiry_seconds },
      reconnectPeriod: 0, // a dropped session is claimed afresh: it may have a new holder by then
      connectTimeout: 5000,
    };
  }

  get #nodeTopic(): string {
    return `${this.#base}/nodes/${this.#node}`;
  }

  #leaseTopic(index: number): string {
    return `${this.#base}/leases/${index}`;
  }

  /** Who holds filter `index` and until when, as the retained message says. */
  #lease(index: number): { node: string; until: number } | undefined {
    const [node, until] = (this.#retained.get(this.#leaseTopic(index)) ?? '').split(' ');
    return node && until ? { node, until: Number(until) } : undefined;
  }

  /** Announce ourselves, renew or confirm our holds, give back those above our fair share, claim free ones up to it. */
  async #tick(): Promise<void> {
    const control = this.#control;
    if (!control?.connected || this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      const now = Date.now();
      const until = now + this.#settings.lease_seconds * 1000;
      const retain = { qos: 1 as const, retain: true };
      await control.publishAsync(this.#nodeTopic, String(until), retain);
      const prefix = `${this.#base}/nodes/`;
      const nodes = new Set([...this.#retained].filter(([t, v]) => t.startsWith(prefix) && Number(v) > now).map(([t]) => t));
      nodes.add(this.#nodeTopic);
      const topics = this.#settings.topics;
      const share = Math.ceil(topics.length / nodes.size);
      for (const [i, hold] of this.#holds) {
        const lease = this.#lease(i);
        if (lease?.node !== this.#node) {
          void this.#letGo(i, false); // claimed by another node at the same time, or taken after ours lapsed
          continue;
        }
        await control.publishAsync(this.#leaseTopic(i), `${this.#node} ${until}`, retain);
        hold.until = until;
        if (!hold.confirmed) {
          hold.confirmed = true;
          hold.done = this.#hold(i, hold);
        }
      }
      const confirmed = [...this.#holds].filter(([, h]) => h.confirmed);
      for (const [i] of confirmed.slice(share)) void this.#letGo(i, true);
      const offset = Number.parseInt(createHash('sha1').update(this.#node).digest('hex').slice(0, 6), 16) % topics.length;
      for (let k = 0; k < topics.length && this.#holds.size < share; k++) {
        const i = (offset + k) % topics.length;
        const lease = this.#lease(i);
        if (this.#holds.has(i) || (lease && lease.until > now)) continue;
        this.#holds.set(i, { until, confirmed: false, inHand: Promise.resolve(), stopping: false, done: Promise.resolve() });
        await control.publishAsync(this.#leaseTopic(i), `${this.#node} ${until}`, retain);
      }
      this.#health = { ...this.#health, lag: this.#inHand };
    } catch (err) {
      this.log.warn({ source: this.name, err: errorText(err) }, 'mqtt source: lease renewal failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** Stop consuming filter `index` (after the message in hand); `release` clears the lease so the next node need not wait for it to lapse. */
  async #letGo(index: number, release: boolean): Promise<void> {
    const hold = this.#holds.get(index);
    if (!hold) return;
    this.#holds.delete(index);
    hold.stopping = true;
    await hold.inHand;
    await hold.done;
    if (release && this.#lease(index)?.node === this.#node) await this.#publishBounded(this.#leaseTopic(index), '');
  }

  /** Clear a retained message, giving up after a few seconds (the broker may be unreachable): the lease then lapses by itself. */
  async #publishBounded(topic: string, payload: string): Promise<void> {
    const published = this.#control?.publishAsync(topic, payload, { qos: 1, retain: true }).catch(() => {});
    await Promise.race([published, sleep(3000)]);
  }

  /** Hold filter `index`'s session until the hold stops or its connection drops (then it is given up, and claimed again by whoever may). */
  async #hold(index: number, hold: Hold): Promise<void> {
    const client = mqtt.connect(this.#settings.url, this.#sessionOptions(index));
    hold.client = client;
    // One message at a time: the client sends its PUBACK when the handler calls back, never before.
    client.handleMessage = (packet, callback) => {
      const handled = this.#handle(index, hold, packet);
      hold.inHand = handled.then(
        () => {},
        () => {},
      );
      void handled.then(() => callback(), () => {}); // a message not handled stays unacked in the session
    };
    client.on('error', (err) => this.log.warn({ source: this.name, topic: this.#settings.topics[index], err: errorText(err) }, 'mqtt source: session connection failed'));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.once('connect', () => void client.subscribeAsync(this.#settings.topics[index]!, { qos: 1 }).catch(() => client.end(true)));
    while (!hold.stopping) {
      if (await Promise.race([closed.then(() => true), sleep(100).then(() => false)])) break;
    }
    hold.stopping = true;
    await hold.inHand;
    await client.endAsync(false).catch(() => {});
    if (this.#holds.get(index) === hold) void this.#letGo(index, true);
  }

  /** Publish one message, retrying in place (nothing younger of its filter moves meanwhile); rejects to leave it unacked. */
  async #handle(index: number, hold: Hold, packet: IPublishPacket): Promise<void> {
    const backoff = new Backoff(100, 5000);
    const record = mqttRecord(index, packet);
    this.#inHand++;
    try {
      for (;;) {
        // Only with a third of the lease left: the message settles before anyone else may hold the session.
        while (!hold.stopping && hold.until < Date.now() + (this.#settings.lease_seconds * 1000) / 3) await sleep(100);
        if (hold.stopping) throw new Error('session let go');
        const [verdict] = await this.#deliver!([record]);
        if (verdict!.kind === 'ack') return;
        if (verdict!.kind === 'dead') {
          const userProperties = { ...packet.properties?.userProperties, 'herald-reason': verdict!.reason, 'herald-source-id': record.id };
          await this.#control!.publishAsync(this.deadLetterTopic(packet.topic), Buffer.from(packet.payload), { qos: 1, properties: { userProperties } });
          return;
        }
        await sleep(backoff.next());
      }
    } finally {
      this.#inHand--;
    }
  }
}
