import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { api, startServer, waitUntil, type TestServer } from '../test/helpers.js';
import { mapRecord, PoisonRecord, renderTemplate } from './mapping.js';

const MAPPING = { channel: 'devices:{topic.1}', event: '{event}', data: 'payload', idempotency_key: '{key}' };
const LIMITS = { maxDataBytes: 100, maxJsonDepth: 3 };
const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof PoisonRecord) return err.reason;
    throw err;
  }
  return 'mapped';
};

describe('record → publish mapping', () => {
  it('fills templates from fields; a missing field is undefined, an empty event is none', () => {
    assert.equal(renderTemplate('a:{x}-{y}', { x: '1', y: '2' }), 'a:1-2');
    assert.equal(renderTemplate('a:{x}', {}), undefined);
    const mapped = mapRecord('src', { id: '9', fields: { 'topic.1': 'd7', payload: '{"t": 21.5}' } }, MAPPING, LIMITS);
    assert.deepEqual({ ...mapped }, { channel: 'devices:d7', event: undefined, data: '{"t":21.5}', key: 'src.9' });
  });

  it('hashes a default key that does not fit the key rules; refuses an explicit one', () => {
    const id = 'stream/with spaces/1-0';
    const mapped = mapRecord('src', { id, fields: { 'topic.1': 'd', payload: '1' } }, MAPPING, LIMITS);
    assert.equal(mapped.key, `src.${createHash('sha256').update(id).digest('base64url')}`);
    assert.equal(reason(() => mapRecord('src', { id: '1', fields: { 'topic.1': 'd', payload: '1', key: 'no spaces allowed' } }, MAPPING, LIMITS)), 'bad_request');
  });

  it('names why a record is poison with a documented error code', () => {
    const map = (fields: Record<string, string>) => reason(() => mapRecord('src', { id: '1', fields }, MAPPING, LIMITS));
    assert.equal(map({ payload: '1' }), 'invalid_channel');
    assert.equal(map({ 'topic.1': 'd' }), 'bad_json');
    assert.equal(map({ 'topic.1': 'd', payload: '{"a":' }), 'bad_json');
    assert.equal(map({ 'topic.1': 'd', payload: '[[[[1]]]]' }), 'bad_request');
    assert.equal(map({ 'topic.1': 'd', payload: `"${'x'.repeat(100)}"` }), 'payload_too_large');
    assert.equal(map({ 'topic.1': 'd', payload: '1', event: 'e'.repeat(129) }), 'bad_request', 'an event name longer than the API takes');
    assert.equal(map({ 'topic.1': 'd', payload: '1', event: 'e'.repeat(128) }), 'mapped');
    assert.equal(map({ 'topic.1': 'd', payload: '"ok"' }), 'mapped');
  });
});

describe('/readyz with a source that is down', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const down = { type: 'postgres', postgres: { url: 'postgres://postgres@127.0.0.1:1/none', poll_interval_ms: 50 } };

  it('lists it with its reason; only a required one makes the node unready', async () => {
    const server = await startServer({ sources: { outbox: down, audit: { ...down, required: true } } });
    servers.push(server);
    const res = await waitUntil(async () => {
      const r = await api(server, '/readyz');
      const sources = r.json.sources as Record<string, { up: boolean; reason?: string }> | undefined;
      return sources?.outbox?.reason?.includes('ECONNREFUSED') ? r : undefined;
    }, 5000, () => 'the source reported down');
    assert.equal(res.status, 503);
    assert.equal(res.json.status, 'unavailable');
    assert.match(String(res.json.reason), /^source "audit" is down: .*ECONNREFUSED/);
    assert.equal((res.json.sources as Record<string, { up: boolean }>).outbox!.up, false);

    const optional = await startServer({ sources: { outbox: down } });
    servers.push(optional);
    await waitUntil(async () => ((await api(optional, '/readyz')).json.sources as Record<string, { reason?: string }>)?.outbox?.reason?.includes('ECONNREFUSED'), 5000, () => 'down');
    const ready = await api(optional, '/readyz');
    assert.equal(ready.status, 200, 'a source that is not required never makes the node unready');
    const metrics = await (await fetch(`${optional.url}/metrics`)).text();
    assert.match(metrics, /herald_source_up\{source="outbox"\} 0/);
  });
});
