/**
 * @module test/concurrent-publishes
 * Many publishes in flight to one channel, through one node and through two, run by each shared
 * engine's test file: every one must be stored (no 503 from a node racing itself or a bounded
 * conflict with the other node), with offsets 1…N exactly once, and reach every subscriber in
 * offset order. The publish rate is reported as a diagnostic, never asserted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { publish, TestClient, type TestServer } from './helpers.js';
import { startNodes } from './multi-node.js';

/** Publications per case: enough that a node racing itself shows, few enough for a shared box. */
const TOTAL = 320;

export function concurrentPublishSuite(name: string, engine: () => Record<string, unknown>, cleanup: () => Promise<void>): void {
  describe(`concurrent publishes to one channel on ${name}`, () => {
    let nodes: TestServer[];
    let n = 0;
    before(async () => {
      nodes = await startNodes(2, engine());
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await cleanup();
    });

    for (const through of [1, 2]) {
      for (const inFlight of [1, 8, 32]) {
        it(`${through} node(s) × ${inFlight} in flight: all stored, offsets 1…${TOTAL} once each, all delivered in order`, async (t) => {
          const channel = `cp${Date.now()}_${n++}`;
          const watchers = await Promise.all(nodes.map((node) => TestClient.connect(node.wsUrl)));
          await Promise.all(watchers.map((w) => w.subscribe(channel)));
          const statuses = new Map<number, number>();
          const offsets: number[] = [];
          const epochs = new Set<unknown>();
          let next = 0;
          // Closed loop per worker, as a backend with a fixed pool of requests would publish.
          const worker = async (node: TestServer) => {
            while (next < TOTAL) {
              const i = next++;
              const res = await publish(node, channel, i);
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              if (res.status === 200) {
                offsets.push(res.json.offset as number);
                epochs.add(res.json.epoch);
              }
            }
          };
          const started = performance.now();
          await Promise.all(nodes.slice(0, through).flatMap((node) => Array.from({ length: inFlight }, () => worker(node))));
          const seconds = (performance.now() - started) / 1000;
          t.diagnostic(`${name}, ${through} node(s) × ${inFlight} in flight: ${Math.round(TOTAL / seconds)} publishes/s (measured, not asserted)`);

          assert.deepEqual([...statuses], [[200, TOTAL]], 'every publish answered 200');
          assert.deepEqual(offsets.sort((a, b) => a - b), Array.from({ length: TOTAL }, (_, i) => i + 1), 'offsets gap-free and unique');
          assert.equal(epochs.size, 1);
          for (const watcher of watchers) {
            const msgs = await watcher.waitForMessages(TOTAL, channel, 15_000);
            assert.deepEqual(msgs.map((m) => m.offset), offsets, 'each subscriber got every publication once, in offset order');
            assert.deepEqual(new Set(msgs.map((m) => m.data)).size, TOTAL);
            watcher.close();
          }
        });
      }
    }
  });
}
