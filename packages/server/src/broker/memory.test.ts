import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toRawJson } from '../json/raw.js';
import { brokerConformance, RecordingHandler } from './conformance.js';
import { MemoryBroker } from './memory.js';

brokerConformance('memory', () => new MemoryBroker());

it('memory: forgets idle, empty, unsubscribed streams (new epoch after), keeps subscribed ones', async () => {
  const broker = new MemoryBroker({ sweepIntervalMs: 20 });
  await broker.start(new RecordingHandler());
  const h = { size: 5, ttlMs: 30 };
  const a = await broker.publish('idle', { data: toRawJson(1) }, h);
  const b = await broker.publish('kept', { data: toRawJson(1) }, h);
  await broker.subscribe('kept');
  await new Promise((r) => setTimeout(r, 120));
  const idle = await broker.publish('idle', { data: toRawJson(2) }, h);
  const kept = await broker.publish('kept', { data: toRawJson(2) }, h);
  assert.notEqual(idle.epoch, a.epoch);
  assert.equal(idle.offset, 1);
  assert.deepEqual(kept, { offset: 2, epoch: b.epoch });
  await broker.close();
});
