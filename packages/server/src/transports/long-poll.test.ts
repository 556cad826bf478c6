import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import type { ClientAuthenticator } from '../auth/client.js';
import { HeraldError } from '../errors.js';
import { publish, sleep, startServer, waitUntil, type TestServer } from '../test/helpers.js';
import { dataOf, poll } from '../test/http-subscribers.js';

describe('long-poll', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      longpoll: { timeout_seconds: 0.3 },
      namespaces: { default: {}, short: { history_size: 3 }, wsonly: { transports: ['websocket'] }, small: { max_subscribers: 1 } },
    });
  });
  after(() => server.close());

  it('answers at once with the position when there is no cursor, then holds until a message arrives', async () => {
    const first = await poll(server.url, ['lp']);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.match(first.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(first.body.messages, []);
    const [epoch] = first.body.cursor.split(':');
    assert.equal(first.body.cursor, `${epoch}:0`);
    const held = poll(server.url, ['lp'], first.body.cursor);
    await sleep(50);
    const pub = await publish(server, 'lp', { hello: 1 }, 'greeted');
    const got = await held;
    assert.deepEqual(got.body, {
      messages: [{ type: 'message', channel: 'lp', offset: 1, epoch, event: 'greeted', data: { hello: 1 } }],
      cursor: `${epoch}:1`,
    });
    assert.equal(pub.json.offset, 1);
    assert.ok(got.ms >= 40, 'it was held until the publish');
  });

  it('answers with an empty batch and the same cursor at the timeout', async () => {
    const { body } = await poll(server.url, ['quiet']);
    const res = await poll(server.url, ['quiet'], body.cursor);
    assert.deepEqual(res.body, { messages: [], cursor: body.cursor });
    assert.ok(res.ms >= 250 && res.ms < 5000, `took ${res.ms} ms`);
    assert.equal(server.herald.hub.subscriberCount('quiet'), 0, 'the request left nothing subscribed');
  });

  it('returns what was published since the cursor at once, across channels', async () => {
    const { body } = await poll(server.url, ['x1', 'x2']);
    await publish(server, 'x1', 'a');
    await publish(server, 'x2', 'b');
    await publish(server, 'x1', 'c');
    const res = await poll(server.url, ['x1', 'x2'], body.cursor);
    assert.ok(res.ms < 250, 'not held: there was something to say');
    assert.deepEqual(dataOf(res.body.messages.filter((m) => m.channel === 'x1')), ['a', 'c']);
    assert.deepEqual(dataOf(res.body.messages.filter((m) => m.channel === 'x2')), ['b']);
    const [e1, e2] = body.cursor.split(',').map((p) => p.split(':')[0]);
    assert.equal(res.body.cursor, `${e1}:2,${e2}:1`);
  });

  it('loses nothing and repeats nothing when polling by cursor under a steady publish stream', async () => {
    const channels = ['steady-a', 'steady-b'];
    let cursor = (await poll(server.url, channels)).body.cursor;
    const total = 300;
    let publishing = true;
    const publisher = (async () => {
      for (let i = 1; i <= total; i++) {
        await publish(server, channels[i % 2]!, i);
        if (i % 25 === 0) await sleep(2);
      }
      publishing = false;
    })();
    const got: unknown[][] = [[], []];
    let polls = 0;
    while ((publishing || got[0]!.length + got[1]!.length < total) && polls < 2000) {
      const res = await poll(server.url, channels, cursor);
      assert.equal(res.status, 200);
      assert.equal(res.body.reset, undefined);
      for (const m of res.body.messages) got[channels.indexOf(m.channel)]!.push(m.data);
      cursor = res.body.cursor;
      polls++;
    }
    await publisher;
    assert.deepEqual(got[0], Array.from({ length: total / 2 }, (_, i) => 2 * i + 2));
    assert.deepEqual(got[1], Array.from({ length: total / 2 }, (_, i) => 2 * i + 1));
    assert.ok(polls > 1, 'it took several polls');
  });

  it('says reset, with the reason, for a cursor older than the history, and continues from now', async () => {
    const { body } = await poll(server.url, ['short:r', 'fine']);
    for (let i = 1; i <= 5; i++) await publish(server, 'short:r', i);
    await publish(server, 'fine', 'kept');
    const res = await poll(server.url, ['short:r', 'fine'], body.cursor);
    assert.deepEqual(res.body.reset, [{ channel: 'short:r', reason: 'history_truncated' }]);
    assert.deepEqual(dataOf(res.body.messages), ['kept'], 'the channel that could recover still gets its messages, the other none');
    const [epoch] = body.cursor.split(':');
    assert.equal(res.body.cursor.split(',')[0], `${epoch}:5`);
    // From there on, a normal stream.
    const next = poll(server.url, ['short:r', 'fine'], res.body.cursor);
    await sleep(30);
    await publish(server, 'short:r', 6);
    assert.deepEqual((await next).body.reset, undefined);
    const other = await poll(server.url, ['short:r'], 'another-epoch:3');
    assert.deepEqual(other.body.reset, [{ channel: 'short:r', reason: 'epoch_changed' }]);
    assert.equal(other.body.cursor, `${epoch}:6`);
  });

  it('cuts a batch at limits.send_buffer_bytes and serves the rest on the next poll', async () => {
    const s = await startServer({ limits: { send_buffer_bytes: 4096 }, longpoll: { timeout_seconds: 0.2 } });
    try {
      // Two channels with history after the cursor: the first one's fills the first batches.
      const channels = ['big-a', 'big-b'];
      let cursor = (await poll(s.url, channels)).body.cursor;
      for (const channel of channels) for (let i = 1; i <= 10; i++) await publish(s, channel, { i, pad: 'x'.repeat(900) });
      const got: Record<string, number[]> = { 'big-a': [], 'big-b': [] };
      const sizes: number[] = [];
      for (let n = 0; n < 20 && sizes.reduce((a, b) => a + b, 0) < 20; n++) {
        const res = await poll(s.url, channels, cursor);
        sizes.push(res.body.messages.length);
        for (const m of res.body.messages) got[m.channel]!.push((m.data as { i: number }).i);
        cursor = res.body.cursor;
      }
      const all = Array.from({ length: 10 }, (_, i) => i + 1);
      assert.deepEqual(got, { 'big-a': all, 'big-b': all });
      assert.ok(sizes.length >= 4 && sizes.every((n) => n > 0 && n <= 5), `batch sizes ${sizes.join(',')}`);
    } finally {
      await s.close();
    }
  });

  it('counts a held request as a subscriber for max_subscribers', async () => {
    const { body } = await poll(server.url, ['small:room']);
    const held = poll(server.url, ['small:room'], body.cursor);
    await waitUntil(() => server.herald.hub.subscriberCount('small:room') === 1, 2000, () => 'the held poll');
    const refused = await poll(server.url, ['small:room'], body.cursor);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error?.code, ErrorCode.ChannelFull);
    await held;
  });

  it('releases the subscriptions of a request whose client went away', async () => {
    const s = await startServer({ longpoll: { timeout_seconds: 30 } });
    try {
      const { body } = await poll(s.url, ['gone', 'gone2']);
      const abort = new AbortController();
      const held = fetch(`${s.url}/poll?channel=gone&channel=gone2&cursor=${body.cursor}`, { signal: abort.signal });
      await waitUntil(() => s.herald.hub.subscriberCount('gone2') === 1, 2000, () => 'the held poll');
      abort.abort();
      await assert.rejects(held);
      await waitUntil(() => s.herald.hub.subscriberCount('gone') + s.herald.hub.subscriberCount('gone2') === 0, 2000, () => 'the poll to let go');
    } finally {
      await s.close();
    }
  });

  it('refuses bad requests with the error codes of the other transports, never cacheable', async () => {
    const cases: Array<[string[], string | undefined, number, string]> = [
      [['wsonly:x'], undefined, 403, ErrorCode.TransportNotAllowed],
      [['nope:x'], undefined, 404, ErrorCode.UnknownChannel],
      [['bad name'], undefined, 400, ErrorCode.InvalidChannel],
      [['a'], 'not-a-cursor', 400, ErrorCode.BadRequest],
      [['a'], 'e:1,e:2', 400, ErrorCode.BadRequest],
      [['a', 'a'], undefined, 409, ErrorCode.AlreadySubscribed],
      [[], undefined, 400, ErrorCode.BadRequest],
    ];
    for (const [channels, cursor, status, code] of cases) {
      const res = await poll(server.url, channels, cursor);
      assert.equal(res.status, status, `${channels.join('&')} ${cursor}`);
      assert.equal(res.body.error?.code, code);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
  });

  it('answers held requests at once when the node shuts down', async () => {
    const s = await startServer({ longpoll: { timeout_seconds: 30 } });
    const { body } = await poll(s.url, ['bye']);
    const held = poll(s.url, ['bye'], body.cursor);
    await waitUntil(() => s.herald.hub.subscriberCount('bye') === 1, 2000, () => 'the held poll');
    const closing = s.close();
    const res = await held;
    assert.deepEqual(res.body, { messages: [], cursor: body.cursor });
    assert.ok(res.ms < 5000);
    await closing;
  });
});

describe('long-poll authentication', () => {
  const authenticateClient: ClientAuthenticator = async (req) => {
    if (new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') !== 'let-me-in') {
      throw new HeraldError(ErrorCode.Unauthorized, 'missing or invalid token');
    }
    return { user: 'u1' };
  };

  it('calls the client authenticator on every request: 401 without the token, served with it', async () => {
    const server = await startServer({}, { authenticateClient });
    try {
      const refused = await poll(server.url, ['a']);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error?.code, ErrorCode.Unauthorized);
      const ok = await poll(server.url, ['a'], undefined, '&token=let-me-in');
      assert.equal(ok.status, 200);
      assert.ok(ok.body.cursor.length > 0);
    } finally {
      await server.close();
    }
  });
});
