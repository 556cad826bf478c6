import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { startServer, TestClient, waitUntil } from '../test/helpers.js';
import { startProxy, type Proxy } from '../test/proxy.js';
import { freePort, PrivateServer } from '../test/services.js';
import { assertOncePerChannelInOrder, interleaved, sourceConformance, type SourcePlace, type TestRecord } from './conformance.js';
import { MqttSource, mqttRecord } from './mqtt.js';

const PARTITIONS = 4;
const MACHINE_MQTT = process.env.HERALD_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/**
 * A private mosquitto for the conformance cases: the machine's one keeps its default
 * `max_queued_messages 1000`, which drops QoS 1 messages of a burst beyond that (docs/sources.md).
 */
let broker: { server: PrivateServer; dir: string } | undefined;
async function privateBroker(): Promise<number> {
  if (!broker) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'herald-mosquitto-'));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n`);
    broker = { server: new PrivateServer(port, '/usr/sbin/mosquitto', ['-c', conf]), dir };
    await broker.server.restart();
  }
  return broker.server.port;
}
const proxies: Proxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await broker?.server.kill();
  if (broker) rmSync(broker.dir, { recursive: true, force: true });
});

async function client(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
}

async function topicsPlace(name: string): Promise<SourcePlace> {
  // Every connection goes through a proxy of its own: cutting it is a network failure, the broker goes on.
  const proxy = await startProxy(await privateBroker());
  proxies.push(proxy);
  const url = proxy.url.replace('http:', 'mqtt:');
  const base = `hrldtest_${randomBytes(5).toString('hex')}`;
  const topics = Array.from({ length: PARTITIONS }, (_, i) => `${base}/p${i}/+`);
  const topicOf = (channel: string) => `${base}/p${createHash('sha1').update(channel).digest().readUInt32BE(0) % PARTITIONS}/${channel}`;
  const config = { type: 'mqtt', channel: '{topic.2}', mqtt: { url, topics, lease_seconds: 3, client_id: base } };
  const parsed = loadConfig({ object: { sources: { [name]: config } }, env: {} }).sources[name]!;
  await new MqttSource(name, parsed, pino({ level: 'silent' })).migrate();
  const dead: string[] = [];
  const deadListener = await client(`mqtt://127.0.0.1:${await privateBroker()}`);
  deadListener.on('message', (_topic, _payload, packet) => dead.push(String(packet.properties?.userProperties?.['herald-reason'])));
  await deadListener.subscribeAsync(`herald/dead/${base}/#`, { qos: 1 });
  return {
    config,
    async write(records: TestRecord[]) {
      const app = await client(`mqtt://127.0.0.1:${await privateBroker()}`);
      try {
        await Promise.all(
          records.map((r) => {
            const userProperties: Record<string, string> = {};
            if (r.event !== undefined) userProperties.event = r.event;
            if (r.key !== undefined) userProperties.idempotency_key = r.key;
            else userProperties.idempotency_key = randomBytes(8).toString('hex'); // what the docs ask publishers to do
            return app.publishAsync(topicOf(r.channel), r.data, { qos: 1, properties: { userProperties } });
          }),
        );
      } finally {
        await app.endAsync();
      }
    },
    deadLetters: async () => [...dead],
    async cutConnections() {
      const cut = proxy.accepted;
      proxy.down();
      await new Promise((r) => setTimeout(r, 200));
      proxy.up();
      return cut;
    },
    remove: async () => void (await deadListener.endAsync()),
  };
}

sourceConformance('mqtt', { place: topicsPlace });

/**
 * A port for a broker that must come back on the same address: below the kernel's ephemeral range
 * (32768…), so no `listen(0)` or outgoing connection of the busy machine takes it while the broker
 * is down. Another private mosquitto (of a concurrent run) landing on a port freed there once
 * took the restart's place: the writer's second half went to that broker, where no session waited.
 */
async function portBelowEphemeral(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A mosquitto that keeps its sessions on disk (written when it stops) and can be restarted gracefully. */
class PersistentMosquitto {
  #child: ChildProcess | undefined;
  readonly conf: string;
  /** A retained message only this broker has: its answer after a restart proves the broker is this one, its state loaded. */
  readonly #mark = { topic: `hrldtest_mark/${randomBytes(6).toString('hex')}`, value: randomBytes(6).toString('hex') };
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.conf = join(dir, 'mosquitto.conf');
    // Started as root, mosquitto would run as its own user, which cannot write its database under
    // the suite's TMPDIR (scripts/test.sh makes it 0700): sessions would silently not survive.
    writeFileSync(this.conf, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 0\n`);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Start; the first time leave the mark, after a restart insist on finding it. */
  async start(): Promise<void> {
    const restart = this.#child !== undefined;
    const child = spawn('/usr/sbin/mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    this.#child = child;
    process.once('exit', () => child.kill('SIGKILL'));
    await waitUntil(() => client(this.url).then((c) => c.endAsync().then(() => true), () => false), 10_000, () => 'mosquitto accepting');
    const app = await client(this.url);
    try {
      if (!restart) return void (await app.publishAsync(this.#mark.topic, this.#mark.value, { qos: 1, retain: true }));
      let seen: string | undefined;
      app.on('message', (_topic, payload) => (seen = payload.toString()));
      await app.subscribeAsync(this.#mark.topic, { qos: 1 });
      await waitUntil(() => seen === this.#mark.value || undefined, 3000, () => `port ${this.port} to answer as the restarted mosquitto with its persisted state (mosquitto ${child.exitCode === null ? 'running' : `exited ${child.exitCode}`}; the mark reads ${seen})`);
    } finally {
      await app.endAsync();
    }
  }

  /** SIGTERM: it writes its sessions and queued messages to disk, then exits. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

describe('mqtt: the broker restarts during a stream', () => {
  it('sessions survive a graceful restart of a persistent mosquitto: 0 lost, 0 duplicated, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-mosquitto-persist-'));
    const broker = new PersistentMosquitto(await portBelowEphemeral(), dir);
    await broker.start();
    const url = broker.url;
    const base = `hrldtest_${randomBytes(5).toString('hex')}`;
    const source = { type: 'mqtt', channel: '{topic.2}', mqtt: { url, topics: [`${base}/p0/+`, `${base}/p1/+`], lease_seconds: 3, client_id: base } };
    const parsed = loadConfig({ object: { sources: { s: source } }, env: {} }).sources.s!;
    await new MqttSource('s', parsed, pino({ level: 'silent' })).migrate();
    const server = await startServer({ namespaces: { default: {}, src: {} }, sources: { s: source } });
    const ws = await TestClient.connect(server.wsUrl);
    const chs = ['src:a', 'src:b', 'src:c', 'src:d'];
    const write = async (records: TestRecord[]) => {
      const app = await client(url);
      await Promise.all(records.map((r, i) => app.publishAsync(`${base}/p${i % 2}/${r.channel}`, r.data, { qos: 1, properties: { userProperties: { idempotency_key: `${base}_${r.channel}_${r.data}`.replace(/[^A-Za-z0-9_.:-]/g, '_') } } })));
      await app.endAsync();
    };
    try {
      for (const ch of chs) await ws.subscribe(ch);
      await write(interleaved(chs, 300, 0, 150));
      await waitUntil(() => ws.messages().length >= 50 || undefined, 20_000, () => 'a first part published');
      const beforeStop = ws.messages().length;
      await broker.stop();
      await broker.start();
      await write(interleaved(chs, 300, 150, 300));
      const state = () => JSON.stringify(server.herald.sources.states().s);
      await waitUntil(() => chs.every((ch) => ws.messages(ch).length >= 300) || undefined, 60_000, () => `${ws.messages().length} of 1200 (${beforeStop} before the stop; source ${state()})`);
      assertOncePerChannelInOrder(ws, chs, 300, 'subscriber');
      await waitUntil(() => (server.herald.sources.states().s?.up && server.herald.sources.states().s?.lag === 0) || undefined, 15_000, () => 'source up, lag 0');
    } finally {
      ws.close();
      await server.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mqtt: the machine\'s Mosquitto and messages as records', () => {
  it('a QoS 1 message on a wildcard topic reaches a WebSocket subscriber through the topic-to-channel template', async () => {
    const base = `hrldtest_${randomBytes(5).toString('hex')}`;
    const source = { type: 'mqtt', channel: 'devices:{topic.1}', event: '{topic.2}', mqtt: { url: MACHINE_MQTT, topics: [`${base}/+/+`], lease_seconds: 1, client_id: base, lease_topic: `${base}/leases` } };
    const server = await startServer({ namespaces: { default: {}, devices: {} }, sources: { s: source } });
    const ws = await TestClient.connect(server.wsUrl);
    try {
      await ws.subscribe('devices:d7');
      await waitUntil(() => server.herald.sources.states().s?.up || undefined, 10_000, () => 'source up');
      const app = await client(MACHINE_MQTT);
      // Until a node holds the session nothing is subscribed; publish until the first arrives, then once more.
      await waitUntil(async () => {
        await app.publishAsync(`${base}/d7/temperature`, '{"c":21.5}', { qos: 1, properties: { userProperties: { idempotency_key: `k-${base}` } } });
        return ws.messages('devices:d7').length > 0 || undefined;
      }, 15_000, () => 'first message');
      await app.endAsync();
      const [message] = ws.messages('devices:d7');
      assert.deepEqual([message!.event, message!.data], ['temperature', { c: 21.5 }]);
    } finally {
      ws.close();
      await server.close();
      // Drop the persistent session the source left on the shared broker.
      await (await mqtt.connectAsync(MACHINE_MQTT, { protocolVersion: 5, clientId: `${base}-s-0`, clean: true, reconnectPeriod: 0 })).endAsync();
    }
  });

  it('payload, topic levels and user properties become fields; the id recognises a redelivery', () => {
    const packet = { topic: 'a/b/c', payload: Buffer.from('{"x":1}'), messageId: 9, properties: { userProperties: { event: 'e', multi: ['1', '2'] } } };
    const record = mqttRecord(2, packet);
    assert.deepEqual({ ...record.fields }, { event: 'e', multi: '1', 'topic.0': 'a', 'topic.1': 'b', 'topic.2': 'c', data: '{"x":1}', topic: 'a/b/c', content_type: undefined });
    assert.equal(mqttRecord(2, packet).id, record.id);
    assert.notEqual(mqttRecord(2, { ...packet, payload: Buffer.from('{"x":2}') }).id, record.id);
    assert.match(record.id, /^2\.9\.[0-9a-f]{16}$/);
  });
});
