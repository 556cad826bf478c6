/**
 * @module broker-sources
 * Broker-source throughput: records per second into Herald from RabbitMQ queues, MQTT topic
 * filters and NATS JetStream subjects (4 partitions each), with 1 and 2 `herald serve` nodes (one
 * process each, Redis engine). Each run starts the nodes on fresh queues / topics / a fresh
 * stream, lets the partitions settle over the nodes, then writes the whole batch as fast as the
 * broker takes it and times from the start of that write until the nodes' own
 * `herald_source_records_published_total` add up to the batch. Nothing else is timed.
 *
 * RabbitMQ and NATS are the machine's (127.0.0.1:5672, :4222); MQTT is a private mosquitto on a
 * free port with `max_queued_messages 0` (the machine's keeps the default 1000, which drops a burst).
 *
 *   npm run broker-sources -w bench -- [--records 10000] [--channels 16] [--runs 2] [--sources rabbitmq,mqtt,jetstream] [--nodes 1,2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, headers } from '@nats-io/transport-node';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { freePort } from './harness.js';
import { stopProcess } from './processes.js';
import { sourceBenchArgs } from './source-args.js';
import { sourceNodeConfig, startSourceNode } from './source-nodes.js';
import { deleteKeys } from './redis.js';

const AMQP_URL = process.env.HERALD_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const NATS_URL = process.env.HERALD_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const PARTITIONS = 4;

type Kind = 'rabbitmq' | 'mqtt' | 'jetstream';
const args = sourceBenchArgs({ records: '10000', sources: 'rabbitmq,mqtt,jetstream' });
const RECORDS = args.records;
const CHANNELS = args.channels;
const RUNS = args.runs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const partitionOf = (channel: string) => createHash('sha1').update(channel).digest().readUInt32BE(0) % PARTITIONS;

interface Record_ {
  channel: string;
  data: string;
  key: string;
}

interface Medium {
  source: Record<string, unknown>;
  write(records: Record_[]): Promise<void>;
  remove(): Promise<void>;
}

async function rabbitmq(tag: string): Promise<Medium> {
  const queues = Array.from({ length: PARTITIONS }, (_, i) => `hrldbench_${tag}.q${i}`);
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  return {
    source: { type: 'rabbitmq', rabbitmq: { url: AMQP_URL, queues, rebalance_ms: 200 } },
    async write(records) {
      for (const r of records) ch.sendToQueue(queues[partitionOf(r.channel)]!, Buffer.from(r.data), { messageId: r.key, headers: { channel: r.channel, event: 'e' } });
      await ch.waitForConfirms();
    },
    async remove() {
      for (const q of queues) for (const name of [q, `${q}.dead`]) await ch.deleteQueue(name);
      await ch.deleteQueue(`${queues[0]}.herald-nodes`);
      await conn.close();
    },
  };
}

let mosquitto: { child: ChildProcess; port: number; dir: string } | undefined;
async function privateMosquitto(): Promise<number> {
  if (mosquitto) return mosquitto.port;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-mosquitto-'));
  writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  mosquitto = { child, port, dir };
  for (let t = 0; !(await new Promise((r) => connectTcp(port, '127.0.0.1').once('connect', function (this: import('node:net').Socket) { this.destroy(); r(true); }).once('error', () => r(false)))); t++) {
    if (t > 100) throw new Error('mosquitto did not start');
    await sleep(50);
  }
  return port;
}

async function mqttTopics(tag: string): Promise<Medium> {
  const url = `mqtt://127.0.0.1:${await privateMosquitto()}`;
  const base = `hrldbench_${tag}`;
  const topics = Array.from({ length: PARTITIONS }, (_, i) => `${base}/p${i}/+`);
  // What `herald sources migrate` does: each filter's persistent session and subscription exist before anything is published.
  for (const [i, topic] of topics.entries()) {
    const session = await mqtt.connectAsync(url, { clientId: `${base}-bench-${i}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
    await session.subscribeAsync(topic, { qos: 1 });
    await session.endAsync();
  }
  const app = await mqtt.connectAsync(url, { protocolVersion: 5 });
  return {
    source: { type: 'mqtt', channel: '{topic.2}', event: 'e', mqtt: { url, topics, client_id: base } },
    async write(records) {
      await Promise.all(records.map((r) => app.publishAsync(`${base}/p${partitionOf(r.channel)}/${r.channel}`, r.data, { qos: 1, properties: { userProperties: { idempotency_key: r.key } } })));
    },
    remove: () => app.endAsync(),
  };
}

async function jetStreamSubjects(tag: string): Promise<Medium> {
  const stream = `hrldbench_${tag}`;
  const subjects = Array.from({ length: PARTITIONS }, (_, i) => `${stream}.p${i}`);
  const nc = await connectNats({ servers: NATS_URL });
  const js = jetstream(nc);
  return {
    source: { type: 'jetstream', jetstream: { servers: [NATS_URL], stream, subjects } },
    async write(records) {
      await Promise.all(
        records.map((r) => {
          const h = headers();
          h.set('channel', r.channel);
          h.set('event', 'e');
          return js.publish(subjects[partitionOf(r.channel)]!, r.data, { headers: h });
        }),
      );
    },
    async remove() {
      const jsm = await jetstreamManager(nc);
      for (const name of [stream, `${stream}_dead`, `KV_herald_leases_${stream}`]) await jsm.streams.delete(name).catch(() => {});
      await nc.close();
    },
  };
}

const MEDIA: Record<Kind, (tag: string) => Promise<Medium>> = { rabbitmq, mqtt: mqttTopics, jetstream: jetStreamSubjects };

async function published(port: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  const line = text.split('\n').find((l) => l.startsWith('herald_source_records_published_total{source="bench"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function runOnce(kind: Kind, nodes: number, dir: string): Promise<number> {
  const tag = randomBytes(4).toString('hex');
  const medium = await MEDIA[kind](tag);
  const prefix = `hrldbench_${tag}`;
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(await startSourceNode(join(dir, `${tag}-${i}.yaml`), sourceNodeConfig(port, prefix, medium.source), port));
    }
    // Partitions settle into a fair share: with the default 10 s leases, renewed every 3.3 s, a joining node's
    // share is given back at the old holder's next renewal and taken (MQTT: and confirmed) at the next ones.
    await sleep(kind === 'rabbitmq' ? 1500 : nodes === 1 ? 5000 : 12_000);
    const records = Array.from({ length: RECORDS }, (_, i) => ({ channel: `bench:c_${i % CHANNELS}`, data: `{"seq":${Math.floor(i / CHANNELS)},"payload":"${'x'.repeat(64)}"}`, key: `${tag}_${i}` }));
    const start = performance.now();
    await medium.write(records);
    for (let t = 0; ; t++) {
      const counts = await Promise.all(ports.map(published));
      if (counts.reduce((a, b) => a + b, 0) >= RECORDS) break;
      if (t > 6000) throw new Error(`stuck at ${counts.join(' + ')} of ${RECORDS}`);
      await sleep(20);
    }
    return RECORDS / ((performance.now() - start) / 1000);
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await medium.remove();
    deleteKeys(prefix);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'herald-bench-broker-sources-'));
try {
  console.log(`${RECORDS} records over ${CHANNELS} channels, ${PARTITIONS} partitions, Redis engine; ${RUNS} runs each`);
  console.log('| source | nodes | runs (records/s) | median records/s |');
  console.log('|---|---|---|---|');
  for (const kind of args.sources as Kind[]) {
    for (const nodes of args.nodes) {
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) rates.push(await runOnce(kind, nodes, dir));
      const sorted = [...rates].sort((a, b) => a - b);
      const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
      console.log(`| ${kind} | ${nodes} | ${rates.map((x) => Math.round(x)).join(', ')} | ${Math.round(median)} |`);
    }
  }
} finally {
  mosquitto?.child.kill('SIGKILL');
  if (mosquitto) rmSync(mosquitto.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
