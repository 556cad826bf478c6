import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import { api, startServer, TestClient, type TestServer } from '../test/helpers.js';

type Result = { channel: string; offset?: number; epoch?: string; error?: { code: string } };
const unique = () => randomBytes(4).toString('hex');

describe('POST /api/publish/batch', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      limits: { max_body_bytes: 64 * 1024 },
      namespaces: { default: {}, notes: {}, fixed: { allow_create_new_channels: false, channels: ['only'] } },
    });
  });
  after(() => server.close());

  const batch = (body: unknown, headers?: Record<string, string>) => api(server, '/api/publish/batch', { body, headers });

  it('publishes every item to its channel, results in order, offsets per channel in request order, data as sent', async () => {
    const [a, b] = [`notes:${unique()}`, `notes:${unique()}`];
    const ca = await TestClient.connect(server.wsUrl);
    const cb = await TestClient.connect(server.wsUrl);
    await ca.subscribe(a);
    await cb.subscribe(b);
    const texts: string[] = [];
    ca.ws.on('message', (d) => texts.push(String(d)));
    // Exact text: a big integer and whitespace inside data must reach subscribers as written (minus the whitespace).
    const raw = `{"publications":[{"channel":"${a}","event":"new","data":{"n":12345678901234567890}},{"channel":"${b}","data": [1, "two"] },{"channel":"${a}","data":"second"},{"channel":"${a}","data":3}]}`;
    const res = await api(server, '/api/publish/batch', { rawBody: raw, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const results = res.json.results as Result[];
    assert.deepEqual(
      results.map((r) => [r.channel, r.offset]),
      [
        [a, 1],
        [b, 1],
        [a, 2],
        [a, 3],
      ],
    );
    const got = await ca.waitForMessages(3, a);
    assert.deepEqual(
      got.map((m) => [m.offset, m.event, m.data]),
      [
        [1, 'new', { n: 12345678901234567890 }],
        [2, undefined, 'second'],
        [3, undefined, 3],
      ],
    );
    assert.ok(texts.some((text) => text.includes('{"n":12345678901234567890}')), 'the big integer is relayed as its own digits');
    const [mb] = await cb.waitForMessages(1, b);
    assert.deepEqual(mb!.data, [1, 'two']);
    ca.close();
    cb.close();
  });

  it('answers a bad item with its own error and publishes the others', async () => {
    const good = `notes:${unique()}`;
    const res = await batch({
      publications: [
        { channel: 'bad channel', data: 1 },
        { channel: good, data: 1 },
        { channel: 'fixed:nope', data: 1 },
        { channel: good, data: 2, idempotency_key: 'not a valid key!' },
        { channel: good, data: 3 },
      ],
    });
    assert.equal(res.status, 200);
    const results = res.json.results as Result[];
    assert.equal(results[0]!.error?.code, ErrorCode.InvalidChannel);
    assert.equal(results[1]!.offset, 1);
    assert.equal(results[2]!.error?.code, ErrorCode.UnknownChannel);
    assert.equal(results[3]!.error?.code, ErrorCode.BadRequest);
    assert.equal(results[4]!.offset, 2, 'the refused item took no offset');
  });

  it('refuses an empty batch, too many items, unknown fields, a body over max_body_bytes and a missing credential', async () => {
    const ch = `notes:${unique()}`;
    assert.equal((await batch({ publications: [] })).status, 400);
    const many = Array.from({ length: 1001 }, () => ({ channel: ch, data: 0 }));
    const tooMany = await batch({ publications: many });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.error?.code, ErrorCode.BadRequest);
    assert.equal((await batch({ publications: [{ channel: ch, data: 1, extra: true }] })).status, 400);
    assert.equal((await batch({ publications: [{ channel: ch }] })).status, 400, 'data is required');
    assert.equal((await batch({ publications: [{ channel: ch, data: 'x'.repeat(70 * 1024) }] })).status, 413);
    assert.equal((await batch({ publications: [{ channel: ch, data: 1 }] }, { authorization: 'Bearer wrong-key-0123456789' })).status, 401);
    // None of the refused requests published anything.
    const history = await api(server, `/api/channels/${encodeURIComponent(ch)}/history`);
    assert.deepEqual(history.json.publications, []);
  });

  it("an item's idempotency_key publishes it once, across batches and POST /api/publish", async () => {
    const ch = `notes:${unique()}`;
    const key = `k-${unique()}`;
    const first = await batch({ publications: [{ channel: ch, data: 'a', idempotency_key: key }, { channel: ch, data: 'b' }] });
    const again = await batch({ publications: [{ channel: ch, data: 'a', idempotency_key: key }, { channel: ch, data: 'c' }] });
    const single = await api(server, '/api/publish', { body: { channel: ch, data: 'a' }, headers: { 'idempotency-key': key } });
    const [r1, r2] = [first.json.results as Result[], again.json.results as Result[]];
    assert.equal(r1[0]!.offset, 1);
    assert.deepEqual(r2[0], r1[0], 'the repeated item got the first answer');
    assert.equal(r2[1]!.offset, 3, 'the repeat took no offset');
    assert.deepEqual(single.json, r1[0]);
    const history = await api(server, `/api/channels/${encodeURIComponent(ch)}/history`);
    assert.deepEqual((history.json.publications as Array<{ data: unknown }>).map((p) => p.data), ['a', 'b', 'c']);
  });

  it("an item's conflation key travels with it (history shows it)", async () => {
    const ch = `notes:${unique()}`;
    await batch({ publications: [{ channel: ch, data: 1, key: 'price:AAPL' }, { channel: ch, data: 2 }] });
    const history = await api(server, `/api/channels/${encodeURIComponent(ch)}/history`);
    assert.deepEqual((history.json.publications as Array<{ key?: string }>).map((p) => p.key), ['price:AAPL', undefined]);
  });

  it('Idempotency-Key on the batch answers a retry with the first answer', async () => {
    const ch = `notes:${unique()}`;
    const headers = { 'idempotency-key': `b-${unique()}` };
    const body = { publications: [{ channel: ch, data: 1 }, { channel: ch, data: 2 }] };
    const first = await batch(body, headers);
    const retry = await batch(body, headers);
    assert.deepEqual(retry.json, first.json);
    const history = await api(server, `/api/channels/${encodeURIComponent(ch)}/history`);
    assert.equal((history.json.publications as unknown[]).length, 2);
  });
});
