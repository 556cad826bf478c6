import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import amqp, { type ConsumeMessage } from 'amqplib';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { startServer, TestClient, waitUntil } from '../test/helpers.js';
import { checkPeek } from './peek-check.js';
import { sourceConformance, type SourcePlace, type TestRecord } from './conformance.js';
import { amqpRecord, RabbitMqSource } from './rabbitmq.js';

const AMQP_URL = process.env.HERALD_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const QUEUES = 4;
const run = promisify(execFile);

/** The application's side: each channel always goes to the same queue (a hash of the channel). */
export function queueOf(queues: string[], channel: string): string {
  return queues[createHash('sha1').update(channel).digest().readUInt32BE(0) % queues.length]!;
}

async function withChannel<T>(work: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {}); // a failed command (checkQueue of a missing queue) rejects it as well
    return await work(ch);
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Close every connection whose name says it belongs to source `name`, as a broker restart would. */
async function closeConnections(name: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties'], { timeout: 20_000 });
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"herald-source:${name}:`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'herald test: connection cut'], { timeout: 20_000 });
  return pids.length;
}

async function queuesPlace(name: string): Promise<SourcePlace> {
  const base = `hrldtest_${randomBytes(5).toString('hex')}`;
  const queues = Array.from({ length: QUEUES }, (_, i) => `${base}.q${i}`);
  const config = { type: 'rabbitmq', rabbitmq: { url: AMQP_URL, queues, rebalance_ms: 200, prefetch: 1000 } };
  const parsed = loadConfig({ object: { sources: { [name]: config } }, env: {} }).sources[name]!;
  const source = new RabbitMqSource(name, parsed, pino({ level: 'silent' }));
  await source.migrate();
  return {
    config,
    async write(records: TestRecord[]) {
      await withChannel(async (ch) => {
        for (const r of records) {
          const headers: Record<string, string> = { channel: r.channel };
          if (r.event !== undefined) headers.event = r.event;
          if (r.key !== undefined) headers.idempotency_key = r.key;
          ch.sendToQueue(queueOf(queues, r.channel), Buffer.from(r.data), { headers, messageId: randomBytes(8).toString('hex'), persistent: true });
        }
        await ch.waitForConfirms();
      });
    },
    deadLetters: () =>
      withChannel(async (ch) => {
        const reasons: string[] = [];
        for (const queue of queues) {
          for (let msg; (msg = await ch.get(source.deadQueue(queue), { noAck: false })); ) reasons.push(String(msg.properties.headers?.['x-herald-reason']));
        }
        return reasons; // requeued when the connection closes
      }),
    cutConnections: closeConnections,
    remove: () =>
      withChannel(async (ch) => {
        for (const queue of [...queues, ...queues.map((q) => source.deadQueue(q)), source.membersQueue]) await ch.deleteQueue(queue);
      }),
  };
}

sourceConformance('rabbitmq', { place: queuesPlace });

describe('rabbitmq: a queue deleted under a consuming node', () => {
  it('the node declares it again and goes on consuming', async () => {
    const name = `s_${randomBytes(4).toString('hex')}`;
    const place = await queuesPlace(name);
    const server = await startServer({ namespaces: { default: {}, src: {} }, sources: { [name]: place.config } });
    const client = await TestClient.connect(server.wsUrl);
    try {
      const queues = (place.config.rabbitmq as { queues: string[] }).queues;
      await client.subscribe('src:after');
      await waitUntil(() => server.herald.sources.states()[name]?.up || undefined, 10_000, () => 'source up');
      await withChannel((ch) => ch.deleteQueue(queueOf(queues, 'src:after')));
      await waitUntil(() => withChannel(async (ch) => (await ch.checkQueue(queueOf(queues, 'src:after'))).consumerCount === 1).catch(() => false) || undefined, 15_000, () => 'queue declared and consumed again');
      await place.write([{ channel: 'src:after', data: '{"ok":true}' }]);
      const [message] = await client.waitForMessages(1, 'src:after', 10_000);
      assert.deepEqual(message!.data, { ok: true });
    } finally {
      client.close();
      await server.close();
      await place.remove();
    }
  });
});

describe('rabbitmq: declare off and a queue missing', () => {
  it('/readyz reports the source down with the broker\'s reason; the node serves on', async () => {
    const queue = `hrldtest_${randomBytes(5).toString('hex')}.missing`;
    const server = await startServer({ sources: { s: { type: 'rabbitmq', rabbitmq: { url: AMQP_URL, queues: [queue], declare: false, rebalance_ms: 200 } } } });
    try {
      const state = await waitUntil(() => {
        const s = server.herald.sources.states().s;
        return s && !s.up && s.reason?.includes('NOT_FOUND') ? s : undefined;
      }, 10_000, () => 'source down with NOT_FOUND');
      assert.match(state.reason!, new RegExp(queue.replace('.', '\\.')));
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
      await withChannel(async (ch) => {
        for (const q of [`${queue}.dead`, `${queue}.herald-nodes`]) await ch.deleteQueue(q);
      });
    }
  });
});

describe('rabbitmq: dry run', () => {
  it('peek lists what waits in the queues and requeues it untouched', () => checkPeek(queuesPlace, (name, config, log) => new RabbitMqSource(name, config, log)));
});

describe('rabbitmq: messages as records', () => {
  it('body, headers and properties become fields; the message id is the idempotency key when it is key-safe', () => {
    const msg = {
      content: Buffer.from('{"a":1}'),
      fields: { deliveryTag: 7, redelivered: false, exchange: 'ex', routingKey: 'orders.42', consumerTag: 'c' },
      properties: { headers: { channel: 'orders:42', n: 3, raw: Buffer.from('bytes') }, messageId: 'm-1', type: 'created' },
    } as unknown as ConsumeMessage;
    const record = amqpRecord('q', msg, 'conn');
    assert.equal(record.id, 'm-1');
    assert.deepEqual(
      { ...record.fields },
      { channel: 'orders:42', n: '3', raw: 'bytes', data: '{"a":1}', routing_key: 'orders.42', exchange: 'ex', queue: 'q', message_id: 'm-1', type: 'created', correlation_id: undefined, app_id: undefined },
    );
    const unsafe = amqpRecord('q', { ...msg, properties: { headers: {}, messageId: 'a b/c' } } as unknown as ConsumeMessage, 'conn');
    assert.match(unsafe.id, /^[A-Za-z0-9_-]{32}$/);
    const anonymous = amqpRecord('q', { ...msg, properties: { headers: {} } } as unknown as ConsumeMessage, 'conn');
    assert.equal(anonymous.id, 'q:conn:7');
  });
});
