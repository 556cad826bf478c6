import assert from 'node:assert/strict';
import { it } from 'node:test';
import { toRawJson } from '../json/raw.js';
import { brokerConformance, RecordingHandler } from './conformance.js';
import { controlStateConformance } from './control-conformance.js';
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

it('memory: a channel only subscribed to keeps its epoch for a returning client until the sweep, and through its first publication', async () => {
  const broker = new MemoryBroker({ sweepIntervalMs: 60_000 });
  await broker.start(new RecordingHandler());
  const h = { size: 5, ttlMs: 60_000 };
  await broker.subscribe('quiet');
  const first = await broker.history('quiet', { limit: 0, create: true }, h);
  await broker.unsubscribe('quiet');
  const back = await broker.history('quiet', { since: { offset: 0, epoch: first.epoch }, limit: 5 }, h);
  assert.deepEqual([back.recovered, back.epoch, back.offset], [true, first.epoch, 0]);
  const other = await broker.history('quiet', { since: { offset: 0, epoch: 'x' + first.epoch }, limit: 5 }, h);
  assert.deepEqual([other.recovered, other.reason], [false, 'epoch_changed']);
  const ahead = await broker.history('quiet', { since: { offset: 3, epoch: first.epoch }, limit: 5 }, h);
  assert.deepEqual([ahead.recovered, ahead.reason], [false, 'offset_ahead']);
  assert.deepEqual(await broker.publish('quiet', { data: toRawJson(1) }, h), { offset: 1, epoch: first.epoch });
  const after = await broker.history('quiet', { since: { offset: 0, epoch: first.epoch }, limit: 5 }, h);
  assert.deepEqual([after.recovered, after.publications.map((p) => p.offset)], [true, [1]]);
  await broker.close();
});

it('memory: forgets a channel nothing was published to at the first sweep after its last subscriber left', async () => {
  const broker = new MemoryBroker({ sweepIntervalMs: 20 });
  await broker.start(new RecordingHandler());
  const h = { size: 5, ttlMs: 60_000 };
  await broker.subscribe('left');
  await broker.subscribe('stays');
  const left = await broker.history('left', { limit: 0, create: true }, h);
  const stays = await broker.history('stays', { limit: 0, create: true }, h);
  await broker.unsubscribe('left');
  await new Promise((r) => setTimeout(r, 100));
  const gone = await broker.history('left', { since: { offset: 0, epoch: left.epoch }, limit: 5 }, h);
  assert.deepEqual([gone.recovered, gone.reason], [false, 'epoch_changed']);
  const kept = await broker.history('stays', { since: { offset: 0, epoch: stays.epoch }, limit: 5 }, h);
  assert.deepEqual([kept.recovered, kept.epoch], [true, stays.epoch]);
  await broker.close();
});
controlStateConformance('memory');
