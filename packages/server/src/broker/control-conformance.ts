/**
 * @module broker/control-conformance
 * The contract of broker/control.ts, run by every engine's test file: two engine instances stand
 * for two nodes (for the memory versions, one process shares one instance).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sleep, waitUntil } from '../test/helpers.js';
import type { Broker } from './broker.js';
import { MemoryBucketStore, MemoryControlBus, MemoryRecordStore, type BucketStore, type ControlBus, type RecordStore } from './control.js';
import { RecordingHandler } from './conformance.js';

interface Node {
  bus: ControlBus;
  records: RecordStore;
  buckets: BucketStore;
}

export function controlStateConformance(name: string, engine?: () => Broker): void {
  describe(`control state on ${name}`, () => {
    let a: Node, b: Node;
    const brokers: Broker[] = [];
    const key = (what: string) => `${what}:${randomBytes(4).toString('hex')}`;

    before(async () => {
      if (!engine) {
        const shared = { bus: new MemoryControlBus(), records: new MemoryRecordStore(), buckets: new MemoryBucketStore() };
        [a, b] = [shared, shared];
        return;
      }
      const nodes: Node[] = [];
      for (let i = 0; i < 2; i++) {
        const broker = engine();
        brokers.push(broker);
        await broker.start(new RecordingHandler());
        await waitUntil(() => broker.connected, 5000, () => `${name} connected`);
        nodes.push({ bus: broker.controlBus!(), records: broker.recordStore!(), buckets: broker.bucketStore!() });
      }
      [a, b] = nodes as [Node, Node];
    });
    after(() => Promise.all(brokers.map((broker) => broker.close())));

    it('records are shared, read in order, removed once, and never returned past their expiry', async () => {
      const [kept, short, absent] = [key('kept'), key('short'), key('absent')];
      await a.records.put(kept, 'v1');
      await a.records.put(short, 'v2', Date.now() + 150);
      assert.deepEqual(await b.records.get([absent, kept, short]), [undefined, 'v1', 'v2']);
      await sleep(200);
      assert.deepEqual(await b.records.get([kept, short]), ['v1', undefined]);
      assert.equal(await b.records.remove(kept), true);
      assert.equal(await a.records.remove(kept), false);
      assert.deepEqual(await a.records.get([kept]), [undefined]);
    });

    it('a bucket hands out at most its rate across nodes, and refills', async () => {
      const bucket = key('bucket');
      const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).buckets.take(bucket, 4)));
      // 4 at once, plus what refills at 4/s while the ten takes run.
      const granted = taken.filter(Boolean).length;
      assert.ok(granted >= 4 && granted <= 5, `${granted} tokens granted`);
      await sleep(300);
      assert.equal(await a.buckets.take(bucket, 4), true, 'refilled after a quarter second');
    });

    it('the bus carries a message to every node, the sender included', async () => {
      const got: Array<[string, string]> = [];
      a.bus.listen((m) => got.push(['a', m]));
      if (b !== a) b.bus.listen((m) => got.push(['b', m]));
      const message = key('hello');
      // A pub/sub subscription may still be on its way right after connecting: send until it arrives.
      await waitUntil(
        async () => {
          await b.bus.send(message);
          await sleep(20);
          return new Set(got.filter(([, m]) => m === message).map(([node]) => node)).size === (b === a ? 1 : 2);
        },
        5000,
        () => `the message on every node (got ${JSON.stringify(got)})`,
      );
    });
  });
}
