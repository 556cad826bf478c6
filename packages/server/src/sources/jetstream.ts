/**
 * @module sources/jetstream
 * The NATS JetStream source: one durable pull consumer per filter subject, acks once
 * Herald has the publication (one confirmed ack per batch: the consumers ack "all"), poison
 * published to a dead-letter subject before its ack.
 *
 * Several nodes pulling from one consumer would publish one channel's messages side by side (out
 * of order), so each subject is consumed by one node at a time, the holder of its lease: an entry
 * in the KV bucket `<durable>_leases_<stream>` (create, then compare-and-set renewals every third
 * of `lease_seconds`; the bucket's age limit frees the lease of a node that died). Subjects spread
 * over the live nodes, a fair share each (nodes count each other by their entries in the same
 * bucket). A node taking a lease rewinds the consumer to its ack floor, and a retry rewinds it to
 * the retried message: JetStream would hand out an unacked message again only after `ack_wait`,
 * behind younger ones; a rewind hands it out first (what was acked after it again too, which its
 * idempotency key makes a no-op).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient, type Consumer, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import type { SourceConfig } from '../config/source-schema.js';
import type { Deliver, DryRunnable, Source, SourceHealth, SourceRecord, Verdict } from './source.js';
import { Backoff, errorText, Wakeup } from './timing.js';

/** A message as a record: `data`, `subject`, its tokens `subject.0`, `subject.1`…, `stream`, `seq`, and each header by name. */
export function jetStreamRecord(msg: Pick<JsMsg, 'subject' | 'data' | 'headers'> & { info: { stream: string; streamSequence: number } }): SourceRecord {
  const fields: Record<string, string | undefined> = {};
  for (const [name, values] of msg.headers ?? []) fields[name] = values[0];
  msg.subject.split('.').forEach((token, i) => (fields[`subject.${i}`] = token));
  const { stream, streamSequence } = msg.info;
  Object.assign(fields, { data: new TextDecoder().decode(msg.data), subject: msg.subject, stream, seq: String(streamSequence) });
  return { id: `${stream}:${streamSequence}`, fields };
}

interface Lease {
  revision: number;
  /** When it lapses unless renewed. */
  until: number;
  /** The lane consuming the subject while the lease holds. */
  loop?: Promise<void>;
}

export class JetStreamSource implements Source, DryRunnable {
  readonly #settings: SourceConfig['jetstream'];
  readonly #node = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #wakeup = new Wakeup();
  /** Subject index → our lease on it. */
  readonly #leases = new Map<number, Lease>();
  #health: SourceHealth = { up: false, reason: 'starting', lag: -1 };
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #kv: KV | undefined;
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
    this.#settings = config.jetstream;
    if (this.#settings.subjects.length === 0) throw new ConfigError(`config: sources.${name}.jetstream.subjects must name at least one subject`);
  }

  get deadLetterSubject(): string {
    return this.#settings.dead_letter_subject || `herald.dead.${this.#settings.stream}`;
  }

  get deadLetterStream(): string {
    return `${this.#settings.stream}_dead`;
  }

  health(): SourceHealth {
    return this.#health;
  }

  async start(deliver: Deliver): Promise<void> {
    this.#deliver = deliver;
    this.#main = this.#connect();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#wakeup.wake();
    await this.#main;
    await Promise.all([...this.#leases.values()].map((lease) => lease.loop));
    const kv = this.#kv;
    if (kv) {
      await Promise.all([...this.#leases].map(([i, lease]) => kv.delete(this.#leaseKey(i), { previousSeq: lease.revision }).catch(() => {})));
      await kv.delete(this.#nodeKey).catch(() => {});
    }
    await this.#nc?.close().catch(() => {});
  }

  /** Create the stream and the dead-letter stream unless they exist. */
  async migrate(): Promise<void> {
    const nc = await this.#open();
    try {
      await this.#declare(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  }

  /**
   * Up to `limit` messages not acked yet, each subject's from its consumer's ack floor on, read
   * through an ephemeral ordered consumer: the durable consumers are not touched.
   */
  async peek(limit: number): Promise<SourceRecord[]> {
    const nc = await this.#open();
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const { stream } = this.#settings;
      const out: SourceRecord[] = [];
      for (const [i, subject] of this.#settings.subjects.entries()) {
        const info = await jsm.consumers.info(stream, this.#durable(i)).catch(() => undefined);
        // Counted, so the pull ends at the last one instead of waiting out its expiry on every subject.
        const waiting = info ? info.num_pending + info.num_ack_pending : await storedOn(jsm, stream, subject);
        const max = Math.min(limit - out.length, waiting);
        if (max <= 0) continue;
        const reader = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info ? info.ack_floor.stream_seq + 1 : 1 });
        for await (const msg of await reader.fetch({ max_messages: max, expires: 1000 })) out.push(jetStreamRecord(msg));
      }
      return out;
    } finally {
      await nc.close();
    }
  }

  #open(): Promise<NatsConnection> {
    return connect({ servers: this.#settings.servers, name: `herald-source:${this.name}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5000 });
  }

  async #declare(jsm: JetStreamManager): Promise<void> {
    const { stream, subjects } = this.#settings;
    const ensure = async (name: string, streamSubjects: string[]) => {
      try {
        await jsm.streams.info(name);
      } catch {
        await jsm.streams.add({ name, subjects: streamSubjects, storage: StorageType.File });
      }
    };
    await ensure(stream, subjects);
    if (!this.#settings.dead_letter_subject) await ensure(this.deadLetterStream, [this.deadLetterSubject]);
  }

  get #nodeKey(): string {
    return `node.${this.#node.replace(/[^-\w]/g, '_')}`;
  }

  #leaseKey(index: number): string {
    return `lease.${index}`;
  }

  #durable(index: number): string {
    return `${this.#settings.durable}_${index}`;
  }

  /** Connect (the client reconnects by itself afterwards), then rebalance every third of the lease. */
  async #connect(): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!this.#stopped) {
      try {
        const nc = await this.#open();
        this.#nc = nc;
        this.#js = jetstream(nc);
        this.#jsm = await jetstreamManager(nc);
        await this.#declare(this.#jsm);
        const bucket = `${this.#settings.durable}_leases_${this.#settings.stream}`;
        this.#kv = await new Kvm(nc).create(bucket, { history: 1, ttl: this.#settings.lease_seconds * 1000 });
        if (this.#stopped) return;
        this.#ticker = setInterval(() => void this.#tick(), (this.#settings.lease_seconds * 1000) / 3);
        void this.#tick();
        return;
      } catch (err) {
        await this.#nc?.close().catch(() => {});
        this.#health = { ...this.#health, up: false, reason: errorText(err) };
        this.log.warn({ source: this.name, err: errorText(err) }, 'jetstream source: connection failed; retrying');
        await this.#wakeup.sleep(backoff.next());
      }
    }
  }

  /** Announce ourselves, renew our leases, take free ones up to a fair share, give back those above it (deleted once their lane stopped, so the next node need not wait for them to lapse), measure the lag. */
  async #tick(): Promise<void> {
    const kv = this.#kv;
    if (!kv || this.#ticking || this.#stopped) return;
    this.#ticking = true;
    const leaseMs = this.#settings.lease_seconds * 1000;
    try {
      await kv.put(this.#nodeKey, '1');
      let nodes = 0;
      for await (const _ of await kv.keys('node.*')) nodes++;
      const subjects = this.#settings.subjects;
      const share = Math.ceil(subjects.length / Math.max(1, nodes));
      for (const [i, lease] of this.#leases) {
        try {
          lease.revision = await kv.update(this.#leaseKey(i), this.#node, lease.revision);
          lease.until = Date.now() + leaseMs;
        } catch {
          this.#leases.delete(i); // taken over after it lapsed: the lane stops at its next turn
        }
      }
      // Above our share (a node joined): give those back; each lane stops between two batches.
      for (const [i, lease] of [...this.#leases].slice(share)) {
        this.#leases.delete(i);
        void lease.loop?.then(() => kv.delete(this.#leaseKey(i), { previousSeq: lease.revision }).catch(() => {}));
      }
      const offset = Number.parseInt(this.#node.slice(-6), 16) % subjects.length;
      for (let k = 0; k < subjects.length && this.#leases.size < share && !this.#stopped; k++) {
        const i = (offset + k) % subjects.length;
        if (this.#leases.has(i)) continue;
        try {
          const revision = await kv.create(this.#leaseKey(i), this.#node);
          const lease: Lease = { revision, until: Date.now() + leaseMs };
          this.#leases.set(i, lease);
          lease.loop = this.#consume(i, lease);
        } catch {
          // Held by another node.
        }
      }
      await this.#measureLag();
      this.#health = { ...this.#health, up: true, reason: undefined };
    } catch (err) {
      this.#health = { ...this.#health, up: false, reason: errorText(err) };
    } finally {
      this.#ticking = false;
    }
  }

  async #measureLag(): Promise<void> {
    let lag = 0;
    for (let i = 0; i < this.#settings.subjects.length; i++) {
      const info = await this.#jsm!.consumers.info(this.#settings.stream, this.#durable(i)).catch(() => undefined);
      // A subject nobody consumed yet has no consumer to ask: it counts once it is taken.
      if (info) lag += info.num_pending + info.num_ack_pending;
    }
    this.#health = { ...this.#health, lag };
  }

  /** Still ours (renewals go on while the lane waits). */
  #holds(index: number, lease: Lease): boolean {
    return !this.#stopped && this.#leases.get(index) === lease;
  }

  /** Safe to read now: at least a third of the lease's time left, so the batch settles before anyone else may take the subject. */
  #fresh(lease: Lease): boolean {
    return lease.until > Date.now() + (this.#settings.lease_seconds * 1000) / 3;
  }

  /** Recreate subject `index`'s consumer so that it hands out `fromSeq` first (its ack floor when undefined). */
  async #rewind(index: number, fromSeq?: number): Promise<void> {
    const jsm = this.#jsm!;
    const { stream, subjects } = this.#settings;
    const durable = this.#durable(index);
    const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
    const start = fromSeq ?? (info ? info.ack_floor.stream_seq + 1 : undefined);
    if (info) await jsm.consumers.delete(stream, durable);
    await jsm.consumers.add(stream, {
      durable_name: durable,
      filter_subject: subjects[index],
      ack_policy: AckPolicy.All,
      ack_wait: nanos(30_000),
      ...(start === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
    });
  }

  /** Pull and publish subject `index` while the lease holds. */
  async #consume(index: number, lease: Lease): Promise<void> {
    const backoff = new Backoff(100, 5000);
    let rewind: number | undefined | 'floor' = 'floor';
    let consumer: Consumer | undefined;
    while (this.#holds(index, lease)) {
      try {
        if (!this.#fresh(lease)) {
          await this.#wakeup.sleep(100); // a renewal is late (a busy event loop, a slow server)
          continue;
        }
        if (rewind !== undefined || !consumer) {
          if (rewind !== undefined) await this.#rewind(index, rewind === 'floor' ? undefined : rewind);
          rewind = undefined;
          consumer = await this.#js!.consumers.get(this.#settings.stream, this.#durable(index));
        }
        const batch = await this.#pull(consumer);
        if (batch.length === 0) continue;
        const records = batch.map(jetStreamRecord);
        const verdicts = await this.#deliver!(records);
        rewind = await this.#settle(batch, records, verdicts);
        if (rewind === undefined) backoff.reset();
        else await this.#wakeup.sleep(backoff.next());
      } catch (err) {
        if (this.#stopped) break;
        this.log.warn({ source: this.name, subject: this.#settings.subjects[index], err: errorText(err) }, 'jetstream source: pull failed; retrying');
        rewind = 'floor';
        consumer = undefined;
        await this.#wakeup.sleep(backoff.next());
      }
    }
  }

  /**
   * The next batch: wait (up to `fetch_wait_ms`) for one message, then fetch as many of those the
   * server says are waiting behind it, which it answers at once. A plain fetch of a whole batch
   * would wait out its expiry whenever fewer are waiting.
   */
  async #pull(consumer: Consumer): Promise<JsMsg[]> {
    const first = await consumer.next({ expires: this.#settings.fetch_wait_ms });
    if (!first) return [];
    const batch = [first];
    const more = Math.min(first.info.pending, this.config.batch_size - 1);
    if (more > 0) for await (const msg of await consumer.fetch({ max_messages: more, expires: this.#settings.fetch_wait_ms })) batch.push(msg);
    return batch;
  }

  /**
   * Dead-letter the poison (stored), then ack everything before the first retried message with one
   * confirmed ack (the consumers ack "all": an ack covers the messages before it). Returns the
   * first retried message's sequence, to rewind to, when there is one; what was settled after it
   * comes again and is recognised by its key.
   */
  async #settle(batch: JsMsg[], records: SourceRecord[], verdicts: Verdict[]): Promise<number | undefined> {
    const firstRetry = verdicts.findIndex((v) => v.kind === 'retry');
    const settled = firstRetry === -1 ? batch.length : firstRetry;
    for (let i = 0; i < settled; i++) {
      const verdict = verdicts[i]!;
      if (verdict.kind !== 'dead') continue;
      const msg = batch[i]!;
      const h = headers();
      for (const [name, values] of msg.headers ?? []) for (const v of values) h.append(name, v);
      h.set('Herald-Reason', verdict.reason.replace(/[\r\n]/g, ' '));
      h.set('Herald-Source-Id', records[i]!.id);
      h.set('Herald-Subject', msg.subject);
      await this.#js!.publish(this.deadLetterSubject, msg.data, { headers: h });
    }
    // Confirmed: an ack lost to a dropped connection would leave the batch pending until `ack_wait`.
    if (settled > 0 && !(await batch[settled - 1]!.ackAck())) throw new Error('ack not confirmed');
    return firstRetry === -1 ? undefined : batch[firstRetry]!.info.streamSequence;
  }
}

/** How many messages the stream holds on the subjects a filter (wildcards allowed) matches. */
async function storedOn(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const { state } = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
}
