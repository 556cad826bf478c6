import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { PrivateNats } from '../test/services.js';
import { checkPeek } from './peek-check.js';
import { sourceConformance, type SourcePlace, type TestRecord } from './conformance.js';
import { JetStreamSource, jetStreamRecord } from './jetstream.js';

const PARTITIONS = 4;

/** One private nats-server for the file: "the broker restarts" is a real restart of it (the machine's NATS is never touched). */
let nats: PrivateNats | undefined;
const server = async () => (nats ??= await PrivateNats.start());
after(async () => nats?.kill());

async function withNats<T>(work: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: (await server()).url });
  try {
    return await work(nc);
  } finally {
    await nc.close();
  }
}

async function streamPlace(name: string): Promise<SourcePlace> {
  const stream = `hrldtest_${randomBytes(5).toString('hex')}`;
  const subjects = Array.from({ length: PARTITIONS }, (_, i) => `${stream}.p${i}`);
  const subjectOf = (channel: string) => subjects[createHash('sha1').update(channel).digest().readUInt32BE(0) % PARTITIONS]!;
  const config = { type: 'jetstream', jetstream: { servers: [(await server()).url], stream, subjects, lease_seconds: 3 } };
  const parsed = loadConfig({ object: { sources: { [name]: config } }, env: {} }).sources[name]!;
  const source = new JetStreamSource(name, parsed, pino({ level: 'silent' }));
  await source.migrate();
  return {
    config,
    write: (records: TestRecord[]) =>
      withNats(async (nc) => {
        const js = jetstream(nc);
        const acks = records.map((r) => {
          const h = headers();
          h.set('channel', r.channel);
          if (r.event !== undefined) h.set('event', r.event);
          if (r.key !== undefined) h.set('idempotency_key', r.key);
          return js.publish(subjectOf(r.channel), r.data, { headers: h });
        });
        await Promise.all(acks);
      }),
    deadLetters: () =>
      withNats(async (nc) => {
        const jsm = await jetstreamManager(nc);
        const { state } = await jsm.streams.info(source.deadLetterStream);
        const reasons: string[] = [];
        for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
          const msg = await jsm.streams.getMessage(source.deadLetterStream, { seq });
          if (msg) reasons.push(msg.header.get('Herald-Reason'));
        }
        return reasons;
      }),
    async cutConnections() {
      const nats = await server();
      await nats.kill();
      await nats.restart();
      return 1;
    },
    remove: () =>
      withNats(async (nc) => {
        const jsm = await jetstreamManager(nc);
        for (const s of [stream, source.deadLetterStream, `KV_herald_leases_${stream}`]) await jsm.streams.delete(s).catch(() => {});
      }),
  };
}

sourceConformance('nats jetstream', { place: streamPlace });

describe('nats jetstream: dry run', () => {
  it('peek lists what waits, oldest first per subject, and takes nothing', () => checkPeek(streamPlace, (name, config, log) => new JetStreamSource(name, config, log)));

  it('before any node ran, peek counts what each subject holds instead of waiting out a pull on each', async () => {
    const name = `s_${randomBytes(4).toString('hex')}`;
    const where = await streamPlace(name);
    try {
      await where.write([{ channel: 'src:peek', data: '{"n":1}' }]);
      const parsed = loadConfig({ object: { sources: { [name]: where.config } }, env: {} }).sources[name]!;
      const started = Date.now();
      const records = await new JetStreamSource(name, parsed, pino({ level: 'silent' })).peek(10);
      // A pull that waits for more than a subject holds ends only at its expiry: 1 s per subject.
      assert.ok(Date.now() - started < 900, `${PARTITIONS} subjects, one message: peek took ${Date.now() - started} ms`);
      assert.deepEqual(records.map((r) => r.fields.data), ['{"n":1}']);
    } finally {
      await where.remove();
    }
  });
});

describe('nats jetstream: messages as records', () => {
  it('data, subject tokens, headers and the stream sequence become fields; the id is stream:sequence', () => {
    const h = headers();
    h.set('channel', 'orders:1');
    const record = jetStreamRecord({ subject: 'orders.eu.1', data: new TextEncoder().encode('{"a":1}'), headers: h, info: { stream: 'S', streamSequence: 42 } });
    assert.equal(record.id, 'S:42');
    assert.deepEqual({ ...record.fields }, { channel: 'orders:1', 'subject.0': 'orders', 'subject.1': 'eu', 'subject.2': '1', data: '{"a":1}', subject: 'orders.eu.1', stream: 'S', seq: '42' });
  });
});
