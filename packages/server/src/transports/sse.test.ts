/**
 * SSE against real servers with a real EventSource client (the `eventsource` package, which
 * reconnects with Last-Event-ID as browsers do). sse.browser.test.ts repeats the core cases in
 * Chromium.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { ErrorCode, type PresenceEventFrame, type PresenceFrame } from '@herald/protocol';
import type { ClientAuthenticator } from '../auth/client.js';
import { HeraldError } from '../errors.js';
import { publish, signJwt, sleep, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { closeSseClients, dataOf, SseClient, type SseEvent } from '../test/http-subscribers.js';
import { startProxy, type Proxy } from '../test/proxy.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sseUrl = (base: string, channels: string[], extra = '') => `${base}/sse?${channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&')}${extra}`;

/** Open a stream with plain HTTP and return its status, headers and the first `bytes` of its body (or what came within `ms`). */
function rawStream(url: string, opts: { bytes?: number; ms?: number; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(url, { headers: opts.headers }, (res) => {
      let body = '';
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      };
      const timer = setTimeout(done, opts.ms ?? 2000);
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        if (body.length >= (opts.bytes ?? Infinity)) done();
      });
      res.on('end', done);
    });
    req.on('error', reject);
    req.end();
  });
}

afterEach(closeSseClients);

describe('SSE stream', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ sse: { heartbeat_seconds: 0.1, retry_ms: 100 }, namespaces: { default: {}, orders: {} } });
  });
  after(() => server.close());

  it('answers text/event-stream, chunked, unbuffered, with a retry hint, and greets each channel with subscribed', async () => {
    const res = await rawStream(sseUrl(server.url, ['hello', 'orders:1']), { ms: 500 });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(String(res.headers['cache-control']), /no-cache/);
    assert.equal(res.headers['x-accel-buffering'], 'no');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.ok(res.body.startsWith('retry: 100\n\n'), res.body);
    const subscribed = res.body.split('\n\n').filter((e) => e.startsWith('event: subscribed\n'));
    assert.equal(subscribed.length, 2, res.body);
    const data = subscribed.map((e) => JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as { channel: string; offset: number; epoch: string });
    assert.deepEqual(data.map((d) => d.channel), ['hello', 'orders:1']);
    // The last id holds both channels' positions, in the order of the channel parameters.
    assert.equal(/^id: (.*)$/m.exec(subscribed[1]!)![1], `${data[0]!.epoch}:0,${data[1]!.epoch}:0`);
    assert.match(res.body, /\n:\n\n/, 'heartbeat comments keep the stream busy');
  });

  it('delivers live messages as events named after the publication, with the same JSON as WebSocket', async () => {
    const ws = await TestClient.connect(server.wsUrl);
    await ws.subscribe('live');
    const es = new SseClient(sseUrl(server.url, ['live']), ['updated']);
    await es.waitForSubscribed(1);
    const first = await publish(server, 'live', { n: 1 }, 'updated');
    await publish(server, 'live', 'no event name');
    const got = await es.waitForMessages(2);
    assert.deepEqual(got, await ws.waitForMessages(2));
    assert.deepEqual(es.events.slice(-2).map((e) => e.type), ['updated', 'message']);
    assert.equal(es.events.at(-2)!.id, `${first.json.epoch as string}:${first.json.offset as number}`);
    es.close();
    ws.close();
  });

  it('keeps an event name that would break the SSE framing out of the event: line', async () => {
    const es = new SseClient(sseUrl(server.url, ['inject']), ['x']);
    await es.waitForSubscribed(1);
    await publish(server, 'inject', 'payload', 'x\ndata: {"type":"message","data":"forged"}\n\n');
    const [m] = await es.waitForMessages(1);
    await sleep(50);
    assert.equal(es.messages().length, 1);
    assert.equal(m!.data, 'payload');
    assert.equal(m!.event, 'x\ndata: {"type":"message","data":"forged"}\n\n', 'the data still carries the real name');
    assert.equal(es.events.at(-1)!.type, 'message');
    es.close();
  });

  it('tells a client that resumes past the history what it lost, and carries on live', async () => {
    const s = await startServer({ sse: { retry_ms: 100 }, namespaces: { default: { history_size: 3 } } });
    try {
      const first = (await publish(s, 'short', 0)).json;
      for (let i = 1; i <= 5; i++) await publish(s, 'short', i);
      const es = new SseClient(sseUrl(s.url, ['short'], `&last_event_id=${first.epoch as string}:${first.offset as number}`));
      const [sub] = await es.waitForSubscribed(1);
      assert.deepEqual(sub, { type: 'subscribed', channel: 'short', offset: 6, epoch: first.epoch, recovered: false, reason: 'history_truncated' });
      await publish(s, 'short', 6);
      assert.deepEqual(dataOf(await es.waitForMessages(1)), [6], 'nothing replayed after a failed recovery');
      es.close();
    } finally {
      await s.close();
    }
  });
});

describe('SSE resume after a dropped connection', () => {
  let server: TestServer;
  let proxy: Proxy;
  before(async () => {
    server = await startServer({ sse: { retry_ms: 50 } });
    proxy = await startProxy(Number(new URL(server.url).port));
  });
  after(async () => {
    await proxy.close();
    await server.close();
  });

  it('one channel: no loss, no duplicate, across several drops', async () => {
    const es = new SseClient(sseUrl(proxy.url, ['resume']));
    await es.waitForSubscribed(1);
    let n = 0;
    for (let drop = 1; drop <= 3; drop++) {
      for (let i = 0; i < 5; i++) await publish(server, 'resume', ++n);
      await es.waitForMessages(n);
      proxy.down();
      for (let i = 0; i < 5; i++) await publish(server, 'resume', ++n); // missed while away
      proxy.up();
      await es.waitForSubscribed(drop + 1);
    }
    await publish(server, 'resume', ++n);
    await es.waitForMessages(n);
    await sleep(50);
    assert.deepEqual(dataOf(es.messages()), range(1, n));
    assert.ok(es.subscribed().every((s, i) => i === 0 || s.recovered === true), JSON.stringify(es.subscribed()));
    assert.ok(proxy.accepted >= 4, 'it really reconnected');
    es.close();
  });

  it('several channels: each resumes from its own position, even one that had no message yet', async () => {
    const channels = ['multi-a', 'multi-b', 'multi-c'];
    const es = new SseClient(sseUrl(proxy.url, channels));
    await es.waitForSubscribed(3);
    for (let i = 1; i <= 4; i++) {
      await publish(server, channels[0]!, `a${i}`);
      await publish(server, channels[2]!, `c${i}`);
    }
    await es.waitForMessages(8);
    assert.equal(es.events.at(-1)!.id.split(',').length, 3, 'the id carries every channel');
    proxy.down();
    for (let i = 5; i <= 7; i++) {
      await publish(server, channels[0]!, `a${i}`);
      await publish(server, channels[1]!, `b${i}`);
    }
    proxy.up();
    await es.waitForSubscribed(6);
    await publish(server, channels[2]!, 'c5');
    await es.waitForMessages(15);
    await sleep(50);
    assert.deepEqual(dataOf(es.messages(channels[0])), range(1, 7).map((i) => `a${i}`));
    assert.deepEqual(dataOf(es.messages(channels[1])), range(5, 7).map((i) => `b${i}`));
    assert.deepEqual(dataOf(es.messages(channels[2])), range(1, 5).map((i) => `c${i}`));
    assert.ok(es.subscribed().slice(3).every((s) => s.recovered === true));
    es.close();
  });

  it('resumes from last_event_id on the first request (a position the page got elsewhere)', async () => {
    const start = (await publish(server, 'from-id', 0)).json;
    for (let i = 1; i <= 3; i++) await publish(server, 'from-id', i);
    const es = new SseClient(sseUrl(server.url, ['from-id'], `&last_event_id=${start.epoch as string}:${start.offset as number}`));
    assert.deepEqual(dataOf(await es.waitForMessages(3)), [1, 2, 3]);
    assert.equal(es.subscribed()[0]!.recovered, true);
    es.close();
  });
});

describe('SSE refusals', () => {
  const authenticateClient: ClientAuthenticator = async (req) => {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
    if (token !== 'let-me-in') throw new HeraldError(ErrorCode.Unauthorized, token ? 'invalid token' : 'missing token');
    return { user: 'u1' };
  };
  let server: TestServer;
  before(async () => {
    server = await startServer(
      {
        limits: { max_subscriptions_per_connection: 2 },
        namespaces: { default: {}, wsonly: { transports: ['websocket', 'longpoll'] }, small: { max_subscribers: 1 } },
      },
      { authenticateClient },
    );
  });
  after(() => server.close());

  const rows: Array<{ name: string; query: string; headers?: Record<string, string>; status: number; code: string }> = [
    { name: 'no token', query: 'channel=a', status: 401, code: ErrorCode.Unauthorized },
    { name: 'wrong token', query: 'channel=a&token=nope', status: 401, code: ErrorCode.Unauthorized },
    { name: 'no channel', query: 'token=let-me-in', status: 400, code: ErrorCode.BadRequest },
    { name: 'a namespace that forbids SSE', query: 'channel=wsonly:x&token=let-me-in', status: 403, code: ErrorCode.TransportNotAllowed },
    { name: 'an unknown namespace', query: 'channel=nope:x&token=let-me-in', status: 404, code: ErrorCode.UnknownChannel },
    { name: 'an invalid channel name', query: 'channel=bad%20name&token=let-me-in', status: 400, code: ErrorCode.InvalidChannel },
    { name: 'a channel listed twice', query: 'channel=a&channel=a&token=let-me-in', status: 409, code: ErrorCode.AlreadySubscribed },
    { name: 'more channels than a connection may have', query: 'channel=a&channel=b&channel=c&token=let-me-in', status: 429, code: ErrorCode.TooManySubscriptions },
    { name: 'a malformed Last-Event-ID', query: 'channel=a&token=let-me-in', headers: { 'last-event-id': 'garbage' }, status: 400, code: ErrorCode.BadRequest },
    { name: 'a Last-Event-ID for other channels', query: 'channel=a&token=let-me-in', headers: { 'last-event-id': 'e:1,e:2' }, status: 400, code: ErrorCode.BadRequest },
  ];
  for (const row of rows) {
    it(`${row.name} → ${row.status} ${row.code} as JSON, before any stream`, async () => {
      const res = await fetch(`${server.url}/sse?${row.query}`, { headers: row.headers });
      assert.equal(res.status, row.status);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, row.code);
      assert.ok(body.error.message.length > 0);
    });
  }

  it('EventSource gives up on a refused stream (401, 403) and receives nothing', async () => {
    for (const [query, status] of [['channel=a', 401], ['channel=wsonly:x&token=let-me-in', 403]] as const) {
      const es = new SseClient(`${server.url}/sse?${query}`);
      await waitUntil(() => es.es.readyState === es.es.CLOSED, 5000, () => `EventSource to close (${query})`);
      assert.deepEqual(es.failures, [status]);
      assert.equal(es.events.length, 0);
    }
  });

  it('with the right token, the same client gets its stream; a full channel is refused with 429', async () => {
    const es = new SseClient(`${server.url}/sse?channel=small:room&token=let-me-in`);
    await es.waitForSubscribed(1);
    const second = await fetch(`${server.url}/sse?channel=small:room&token=let-me-in`);
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, ErrorCode.ChannelFull);
    es.close();
  });
});

describe('SSE presence', () => {
  const SECRET = 'sse-presence-jwt-secret-0123456789ab';
  const token = (sub: string, herald?: Record<string, string[]>) => signJwt(SECRET, sub, herald ? { herald } : {});
  const PRESENCE_EVENTS = ['presence', 'join', 'leave'];
  /** The presence events of a stream as `presence` / `join:user` / `leave:user`. */
  const presenceOf = (events: SseEvent[]) =>
    events.filter((e) => PRESENCE_EVENTS.includes(e.type)).map((e) => (e.type === 'presence' ? 'presence' : `${e.type}:${(e.data as unknown as PresenceEventFrame).info.user}`));
  let server: TestServer;
  before(async () => {
    server = await startServer({ auth: { jwt: { secrets: [SECRET] } }, namespaces: { room: { presence: true }, news: {} } });
  });
  after(() => server.close());

  it('presence=: the member list after the channel\'s subscribed, then join and leave in order, as on WebSocket and without ids', async () => {
    const watcher = await TestClient.connect(`${server.wsUrl}?token=${await token('watcher')}`);
    await watcher.request({ type: 'subscribe', channel: 'room:1', presence: true });
    const es = new SseClient(`${server.url}/sse?channel=room:quiet&channel=room:1&presence=room:1&token=${await token('alice')}`, PRESENCE_EVENTS);
    const members = await waitUntil(() => es.events.find((e) => e.type === 'presence')?.data as unknown as PresenceFrame | undefined, 5000, () => 'the presence event');
    assert.deepEqual(members.members.map((m) => m.user).sort(), ['alice', 'watcher']);
    const types = es.events.map((e) => e.type);
    assert.ok(types.lastIndexOf('subscribed') < types.indexOf('presence'), types.join());

    const bob = await TestClient.connect(`${server.wsUrl}?token=${await token('bob')}`);
    await bob.subscribe('room:1');
    await bob.subscribe('room:quiet');
    await waitUntil(() => presenceOf(es.events).includes('join:bob'), 5000, () => presenceOf(es.events).join());
    bob.close();
    await waitUntil(() => presenceOf(es.events).includes('leave:bob'), 5000, () => presenceOf(es.events).join());
    // Its own join comes before or after the member list, depending on the engine.
    assert.deepEqual(presenceOf(es.events).filter((e) => e !== 'join:alice'), ['presence', 'join:bob', 'leave:bob']);
    assert.ok(es.events.every((e) => e.data.channel !== 'room:quiet' || e.type === 'subscribed'), 'no presence for a channel not asked for');
    // The same JSON as the WebSocket frames.
    await watcher.waitFor((f) => f.type === 'leave' && f.info.user === 'bob');
    const wsEvents = watcher.frames.filter((f) => (f.type === 'join' || f.type === 'leave') && f.info.user === 'bob');
    assert.deepEqual(es.events.filter((e) => e.type === 'join' || e.type === 'leave').slice(-2).map((e) => e.data), wsEvents);
    es.close();
    watcher.close();

    // On the wire, presence events have no id: line (they are not positions: the last event id stays).
    const { body } = await rawStream(`${server.url}/sse?channel=room:1&presence=room:1&token=${await token('carol')}`, { ms: 1000 });
    // (Earlier clients' leaves may still be on their way: count every presence event.)
    const blocks = body.split('\n\n').filter((b) => /^event: (presence|join|leave)\n/.test(b));
    assert.ok(blocks.length >= 2 && blocks.every((b) => /^event: \w+\ndata: .*$/.test(b)), body);
    assert.ok(blocks.some((b) => b.startsWith('event: presence\ndata: {"type":"presence","channel":"room:1","members":[')), body);
    assert.ok(blocks.some((b) => b.startsWith('event: join\ndata: {"type":"join","channel":"room:1","info":{"user":"carol","client":"c_')), body);
  });

  it('refuses before the stream: presence for a channel not streamed or without presence (400), without the presence permission (403)', async () => {
    const eve = await token('eve', { subscribe: ['room:*', 'news:*'], presence: ['room:lobby'] });
    const rows = [
      { query: `channel=room:1&presence=room:2&token=${eve}`, status: 400, code: ErrorCode.BadRequest },
      { query: `channel=news:1&presence=news:1&token=${eve}`, status: 400, code: ErrorCode.BadRequest },
      { query: `channel=room:lobby&channel=room:other&presence=room:other&token=${eve}`, status: 403, code: ErrorCode.Forbidden },
    ];
    for (const row of rows) {
      const res = await fetch(`${server.url}/sse?${row.query}`);
      assert.equal(res.status, row.status, row.query);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, row.code, row.query);
    }
    // The message for a namespace without presence is the WebSocket one.
    const ws = await TestClient.connect(`${server.wsUrl}?token=${eve}`);
    const reply = await ws.request({ type: 'subscribe', channel: 'news:2', presence: true });
    const res = await fetch(`${server.url}/sse?channel=news:2&presence=news:2&token=${eve}`);
    assert.deepEqual(((await res.json()) as { error: unknown }).error, 'error' in reply && reply.error);
    ws.close();
    // Without presence=room:other the stream opens: being a member needs no presence permission.
    const es = new SseClient(`${server.url}/sse?channel=room:lobby&channel=room:other&presence=room:lobby&token=${eve}`, PRESENCE_EVENTS);
    await waitUntil(() => es.events.some((e) => e.type === 'presence'), 5000, () => 'the presence event');
    es.close();
  });
});

describe('SSE limits and shutdown', () => {
  it('cuts off a stream that stopped reading with event: error slow_consumer, while a fast one gets everything', async () => {
    const server = await startServer({ limits: { send_buffer_bytes: 64 * 1024, max_body_bytes: 1 << 20 } });
    try {
      const fast = new SseClient(sseUrl(server.url, ['flood']));
      await fast.waitForSubscribed(1);
      // A reader that sends its request, reads the start, then stops reading.
      const slow = connect(Number(new URL(server.url).port), '127.0.0.1');
      slow.write('GET /sse?channel=flood HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      await waitUntil(() => server.herald.hub.subscriberCount('flood') === 2, 5000, () => 'the slow reader to subscribe');
      slow.pause();
      const payload = 'x'.repeat(4096);
      let sent = 0;
      while (sent < 10_000 && server.herald.hub.subscriberCount('flood') === 2) {
        await Promise.all(range(1, 20).map(() => publish(server, 'flood', { i: sent++, payload })));
        await sleep(1);
      }
      assert.equal(server.herald.hub.subscriberCount('flood'), 1, 'the slow reader was dropped');
      const got = await fast.waitForMessages(sent, undefined, 20_000);
      assert.deepEqual(got.map((m) => (m.data as { i: number }).i).sort((a, b) => a - b), range(0, sent - 1));
      let text = '';
      slow.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-4096)));
      slow.resume();
      await new Promise((resolve) => slow.once('close', resolve));
      assert.match(text, /event: error\ndata: \{"type":"error","error":\{"code":"slow_consumer"/);
      fast.close();
    } finally {
      await server.close();
    }
  });

  it('counts SSE streams in limits.max_connections: past it, a stream says unavailable and ends (EventSource retries)', async () => {
    const server = await startServer({ limits: { max_connections: 1 } });
    try {
      const ws = await TestClient.connect(server.wsUrl);
      const res = await rawStream(sseUrl(server.url, ['full']));
      assert.equal(res.status, 200);
      assert.match(res.body, /^retry: \d+\n\nretry: \d+\nevent: error\ndata: \{"type":"error","error":\{"code":"unavailable"/);
      ws.close();
      await ws.closed;
      await waitUntil(async () => (await rawStream(sseUrl(server.url, ['full']), { ms: 200 })).body.includes('event: subscribed'), 5000, () => 'a free slot');
    } finally {
      await server.close();
    }
  });

  it('on shutdown, ends every stream with event: error shutting_down and a spread-out retry', async () => {
    const server = await startServer({ sse: { retry_ms: 1000 } });
    const stream = rawStream(sseUrl(server.url, ['bye']), { ms: 5000 });
    await waitUntil(() => server.herald.hub.subscriberCount('bye') === 1, 5000, () => 'the stream');
    await server.close();
    const { body } = await stream;
    const match = /retry: (\d+)\nevent: error\ndata: (.*)\n\n$/.exec(body);
    assert.ok(match, body);
    assert.ok(Number(match[1]) >= 1000 && Number(match[1]) < 2000);
    assert.equal((JSON.parse(match[2]!) as { error: { code: string } }).error.code, ErrorCode.ShuttingDown);
  });
});

describe('SSE ids during recovery', () => {
  it('never point past history still to come (a drop right after `subscribed` loses nothing)', async () => {
    const server = await startServer();
    try {
      let epoch = '';
      for (let i = 1; i <= 3; i++) epoch = (await publish(server, 'ids', i)).json.epoch as string;
      const res = await fetch(`${server.url}/sse?channel=ids&last_event_id=${encodeURIComponent(epoch)}:0`);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while ((text.match(/"type":"message"/g) ?? []).length < 3) text += (await reader.read()).value ?? '';
      await reader.cancel();
      // In stream order: each replayed message's offset and each id's. An id may cover several
      // messages (one per write), but never one that has not been sent before it.
      const seen: number[] = [];
      const ids: number[] = [];
      for (const m of text.matchAll(/^data: .*"type":"message".*"offset":(\d+)|^id: .*:(\d+)$/gm)) {
        if (m[1] !== undefined) seen.push(Number(m[1]));
        else {
          ids.push(Number(m[2]));
          for (let offset = 1; offset <= Number(m[2]); offset++) assert.ok(seen.includes(offset), `id ${m[2]} before message ${offset}:\n${text}`);
        }
      }
      assert.deepEqual(seen, [1, 2, 3], text);
      assert.equal(ids.at(-1), 3, text);
    } finally {
      await server.close();
    }
  });
});
