import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody, ServerFrame } from '@herald/protocol';
import { api, publish, signJwt, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { hookBackend, type HookBackend } from '../test/hook-backend.js';
import { freePort } from '../test/services.js';

const SECRET = 'hook-secret-0123456789abcdef';
const JWT_SECRET = 'hooks-test-jwt-secret-0123456789';
const TIMEOUT_MS = 400;

type Reply = ServerFrame & { type: 'reply'; error?: ErrorBody; result?: Record<string, unknown> };

describe('backend hooks over HTTP', () => {
  let backend: HookBackend;
  let server: TestServer;
  const open: TestClient[] = [];
  let n = 0;
  const unique = (ns: string) => `${ns}:h${Date.now()}_${n++}`;
  const track = (c: TestClient) => (open.push(c), c);
  const withCookie = (session: string) => ({ cookie: `theme=dark; session=${session}`, 'user-agent': 'hook-test', 'x-private': 'never-forwarded' });

  before(async () => {
    backend = await hookBackend(SECRET);
    backend.handle('/connect', ({ body }) => {
      const session = (body.cookies as Record<string, string>).session;
      if (session === 'banned') return { error: { code: 'account_banned', message: 'this account is banned' } };
      if (!session?.startsWith('s-')) return { error: { code: 'no_session', message: 'log in first' } };
      const user = session.slice(2);
      return { result: { user, info: { name: user.toUpperCase() }, channels: [`notes:${user}`], data: { plan: 'pro' } } };
    });
    backend.handle('/subscribe', ({ body }) =>
      String(body.channel).endsWith('_secret') ? { error: { code: 'not_a_member', message: `${String(body.user)} is not in this room` } } : { result: { info: { role: 'guest', via: 'subscribe-hook' } } },
    );
    backend.handle('/slow', () => ({ status: 200, body: '{"result":{}}', delayMs: 2000 }));
    backend.handle('/publish', ({ body }) => {
      const data = body.data as { text?: string };
      if (data.text?.includes('spam')) return { error: { code: 'spam', message: 'looks like spam' } };
      return { result: { data: { text: data.text?.replaceAll('darn', '****'), checked_by: body.user } } };
    });
    backend.handle('/rpc', ({ body }) => {
      if (body.method === 'sum') {
        const { a, b } = body.data as { a: number; b: number };
        return { result: { data: { sum: a + b, user: body.user } } };
      }
      if (body.method === 'not_json') return { status: 200, body: 'surely not json' };
      if (body.method === 'http_500') return { status: 500, body: 'boom' };
      if (body.method === 'bad_shape') return { result: [1, 2] };
      return { error: { code: 'unknown_method', message: `no method ${String(body.method)}` } };
    });
    const hook = (path: string) => backend.url + path;
    server = await startServer({
      auth: { jwt: { secrets: [JWT_SECRET] } },
      hooks: {
        connect_url: hook('/connect'),
        rpc_url: hook('/rpc'),
        secret: SECRET,
        verify_responses: true,
        timeout_ms: TIMEOUT_MS,
        connect_cookies: ['session'],
        connect_headers: ['user-agent'],
      },
      namespaces: {
        default: {},
        notes: {},
        control: { allow_anonymous: true },
        lobby: { presence: true },
        room: { presence: true, subscribe_hook: hook('/subscribe'), publish_hook: hook('/publish'), allow_client_publish: true },
        slow: { subscribe_hook: hook('/slow') },
      },
    });
  });
  after(async () => {
    for (const c of open) c.close();
    await server.close();
    await backend.close();
  });

  it('authenticates a connection by its session cookie through the connect hook, without any JWT', async () => {
    const client = track(await TestClient.connect(server.wsUrl, withCookie('s-alice')));
    const connected = client.frames.find((f) => f.type === 'connected') as ServerFrame & { user?: string; data?: unknown };
    assert.equal(connected.user, 'alice');
    assert.deepEqual(connected.data, { plan: 'pro' });
    // The backend's channels are subscribed by the server, and publications there arrive.
    await client.waitFor((f) => f.type === 'subscribed' && f.channel === 'notes:alice');
    await publish(server, 'notes:alice', { note: 1 });
    assert.deepEqual((await client.waitForMessages(1, 'notes:alice'))[0]!.data, { note: 1 });
    const call = backend.calls.find((c) => c.path === '/connect' && (c.body.cookies as Record<string, string>).session === 's-alice')!;
    assert.equal(call.signed, true, 'the request carries a valid X-Herald-Hook-Signature');
    assert.deepEqual(call.body.cookies, { session: 's-alice' }, 'only allow-listed cookies leave Herald');
    assert.deepEqual(call.body.headers, { 'user-agent': 'hook-test' }, 'only allow-listed headers leave Herald');
    assert.equal(call.body.transport, 'websocket');
    // The hook's info is the member's info in presence.
    const lobby = unique('lobby');
    await client.subscribe(lobby);
    const presence = await api(server, `/api/channels/${encodeURIComponent(lobby)}/presence`);
    assert.deepEqual((presence.json.members as Array<{ info?: unknown }>)[0]!.info, { name: 'ALICE' });
  });

  it("refuses a connect with the backend's code, on WebSocket (error frame, close 4003) and SSE (403)", async () => {
    const client = track(TestClient.open(server.wsUrl, withCookie('banned')));
    const closed = await client.closed;
    assert.equal(closed.code, 4003);
    const error = client.frames.find((f) => f.type === 'error') as ServerFrame & { error: ErrorBody };
    assert.deepEqual(error.error, { code: 'account_banned', message: 'this account is banned' });
    const res = await fetch(`${server.url}/sse?channel=control:x`, { headers: withCookie('nope') });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: ErrorBody }).error.code, 'no_session');
  });

  it("a user the connect hook names is refused while the control API blocks it (close 4503, SSE 401), and its live connection closed", async () => {
    const user = `blk${Date.now()}`;
    const live = track(await TestClient.connect(server.wsUrl, withCookie(`s-${user}`)));
    assert.equal((await api(server, `/api/users/${user}/block`, { body: { reason: 'abuse' } })).status, 200);
    assert.equal((await live.closed).code, 4503);
    const again = track(TestClient.open(server.wsUrl, withCookie(`s-${user}`)));
    assert.equal((await again.closed).code, 4503, 'the hook said who it is; the block still holds');
    const res = await fetch(`${server.url}/sse?channel=control:x`, { headers: withCookie(`s-${user}`) });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: ErrorBody & { reason?: string } }).error.reason, 'user_blocked');
    await api(server, `/api/users/${user}/unblock`, { method: 'POST' });
    track(await TestClient.connect(server.wsUrl, withCookie(`s-${user}`)));
  });

  it('a token still authenticates without calling the connect hook', async () => {
    const before = backend.calls.length;
    const client = track(await TestClient.connect(`${server.wsUrl}?token=${await signJwt(JWT_SECRET, 'tok-user')}`));
    assert.equal((client.frames[0] as { user?: string }).user, 'tok-user');
    assert.equal(backend.calls.filter((c) => c.path === '/connect').length, backend.calls.slice(0, before).filter((c) => c.path === '/connect').length);
  });

  it("refuses a subscribe with the backend's code; an allowed one carries the hook's info into presence", async () => {
    const client = track(await TestClient.connect(server.wsUrl, withCookie('s-bob')));
    const refused = (await client.request({ type: 'subscribe', channel: `${unique('room')}_secret` })) as Reply;
    assert.deepEqual(refused.error, { code: 'not_a_member', message: 'bob is not in this room' });
    const room = unique('room');
    const ok = (await client.request({ type: 'subscribe', channel: room })) as Reply;
    assert.equal(ok.error, undefined);
    const presence = await api(server, `/api/channels/${encodeURIComponent(room)}/presence`);
    const id = (client.frames[0] as { client: string }).client;
    assert.deepEqual(presence.json.members, [{ user: 'bob', clients: [id], info: { role: 'guest', via: 'subscribe-hook' } }]);
  });

  it('the subscribe hook also judges SSE streams (an error event with its code) and every long-poll request (403)', async () => {
    const secret = encodeURIComponent(`${unique('room')}_secret`);
    const sse = await fetch(`${server.url}/sse?channel=${secret}`, { headers: withCookie('s-bob') });
    assert.equal(sse.status, 200, 'the stream starts, then the hook refuses');
    const text = await sse.text();
    assert.match(text, /event: error\ndata: \{"type":"error","error":\{"code":"not_a_member","message":"bob is not in this room"\}\}/);
    const poll = await fetch(`${server.url}/poll?channel=${secret}`, { headers: withCookie('s-bob') });
    assert.equal(poll.status, 403);
    assert.deepEqual(((await poll.json()) as { error: ErrorBody }).error, { code: 'not_a_member', message: 'bob is not in this room' });
    const call = backend.calls.filter((c) => c.path === '/subscribe').at(-1)!;
    assert.deepEqual(call.body.transport, 'longpoll');
  });

  it('a hook without hooks.secret is a config error at start', async () => {
    await assert.rejects(startServer({ hooks: { rpc_url: 'http://127.0.0.1:9/rpc' } }), /hooks\.secret must be at least 16 characters/);
  });

  it('the publish hook refuses with its code, or rewrites the publication before it is published', async () => {
    const room = unique('room');
    const sender = track(await TestClient.connect(server.wsUrl, withCookie('s-carol')));
    const watcher = track(await TestClient.connect(server.wsUrl, withCookie('s-dave')));
    await sender.subscribe(room);
    await watcher.subscribe(room);
    const spam = (await sender.request({ type: 'publish', channel: room, data: { text: 'buy spam now' } })) as Reply;
    assert.deepEqual(spam.error, { code: 'spam', message: 'looks like spam' });
    const ok = (await sender.request({ type: 'publish', channel: room, data: { text: 'oh darn' } })) as Reply;
    assert.equal(ok.error, undefined);
    const [message] = await watcher.waitForMessages(1, room);
    assert.deepEqual(message!.data, { text: 'oh ****', checked_by: 'carol' });
    assert.equal(watcher.messages(room).length, 1, 'the refused publication was never published');
    const history = await api(server, `/api/channels/${encodeURIComponent(room)}/history`);
    assert.deepEqual((history.json.publications as Array<{ data: unknown }>).map((p) => p.data), [{ text: 'oh ****', checked_by: 'carol' }]);
  });

  it("rpc: the backend's answer is the reply, its refusal the reply's error", async () => {
    const client = track(await TestClient.connect(server.wsUrl, withCookie('s-erin')));
    const reply = (await client.request({ type: 'rpc', method: 'sum', data: { a: 2, b: 40 } })) as Reply;
    assert.deepEqual(reply.result, { data: { sum: 42, user: 'erin' } });
    const refused = (await client.request({ type: 'rpc', method: 'nope' })) as Reply;
    assert.deepEqual(refused.error, { code: 'unknown_method', message: 'no method nope' });
    const bad = (await client.request({ type: 'rpc', data: 1 })) as Reply;
    assert.equal(bad.error?.code, 'bad_request');
    // A broken backend answer is a clear unavailable, never a crash or a half-applied answer.
    const expected: Record<string, RegExp> = { not_json: /invalid answer \(not JSON\)/, http_500: /answered HTTP 500/, bad_shape: /"result" must be an object/ };
    for (const [method, message] of Object.entries(expected)) {
      const reply = (await client.request({ type: 'rpc', method })) as Reply;
      assert.equal(reply.error?.code, 'unavailable', method);
      assert.match(reply.error!.message, message);
    }
  });

  it('a slow backend gets a clear unavailable error within the timeout, and the node serves everyone else meanwhile', async () => {
    const client = track(await TestClient.connect(server.wsUrl, withCookie('s-frank')));
    const control = track(await TestClient.connect(server.wsUrl, withCookie('s-grace')));
    const controlChannel = unique('control');
    await control.subscribe(controlChannel);
    const started = Date.now();
    const slow = client.request({ type: 'subscribe', channel: unique('slow') }) as Promise<Reply>;
    const published = await Promise.all(Array.from({ length: 40 }, (_, i) => publish(server, controlChannel, { i })));
    assert.ok(published.every((r) => r.status === 200));
    const reply = await slow;
    const elapsed = Date.now() - started;
    assert.equal(reply.error?.code, 'unavailable');
    assert.match(reply.error!.message, /subscribe hook did not answer within 400 ms/);
    assert.ok(elapsed < TIMEOUT_MS + 600, `answered after ${elapsed} ms`);
    const got = await control.waitForMessages(40, controlChannel);
    assert.deepEqual(got.map((m) => (m.data as { i: number }).i).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
    // The client that waited is still connected and served.
    client.send({ type: 'ping', id: 99 });
    await client.waitFor((f) => f.type === 'pong' && f.id === 99);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /herald_hook_calls_total\{hook="subscribe",outcome="timeout"\} [1-9]/);
    assert.match(metrics, /herald_hook_calls_total\{hook="rpc",outcome="ok"\} [1-9]/);
  });

  it('bounds concurrency: calls beyond hooks.max_concurrency wait for a slot within their timeout, then fail', async () => {
    const slow = await hookBackend(SECRET);
    slow.handle('/rpc', () => ({ status: 200, body: '{"result":{}}', delayMs: 1000 }));
    const node = await startServer({ hooks: { rpc_url: `${slow.url}/rpc`, secret: SECRET, timeout_ms: 300, max_concurrency: 1 } });
    try {
      const client = await TestClient.connect(node.wsUrl);
      const started = Date.now();
      const replies = (await Promise.all(['a', 'b', 'c'].map((method) => client.request({ type: 'rpc', method })))) as Reply[];
      // Each waited at most its own timeout (the later ones partly in the queue), never the backend's 1 s.
      assert.ok(Date.now() - started < 900, `answered after ${Date.now() - started} ms`);
      for (const reply of replies) {
        assert.equal(reply.error?.code, 'unavailable');
        assert.match(reply.error!.message, /did not answer within 300 ms|calls in flight and none ended within 300 ms/);
      }
      assert.equal(slow.maxInFlight, 1, 'never more than max_concurrency calls at the backend at once');
      client.close();
    } finally {
      await node.close();
      await slow.close();
    }
  });

  it('refuses an answer that is not signed by the backend when verify_responses is on', async () => {
    const unsigned = await hookBackend(SECRET, { signAnswers: false });
    unsigned.handle('/rpc', () => ({ result: { data: 'forged?' } }));
    const node = await startServer({ hooks: { rpc_url: `${unsigned.url}/rpc`, secret: SECRET, verify_responses: true } });
    try {
      const client = await TestClient.connect(node.wsUrl);
      const reply = (await client.request({ type: 'rpc', method: 'x' })) as Reply;
      assert.equal(reply.error?.code, 'unavailable');
      assert.match(reply.error!.message, /no valid x-herald-hook-signature/);
      client.close();
    } finally {
      await node.close();
      await unsigned.close();
    }
  });

  it('a backend that is down: connect gets unavailable and close 1013 at once, token clients and rpc callers are unaffected', async () => {
    const port = await freePort();
    const node = await startServer({
      auth: { jwt: { secrets: [JWT_SECRET] } },
      hooks: { connect_url: `http://127.0.0.1:${port}/connect`, rpc_url: `http://127.0.0.1:${port}/rpc`, secret: SECRET, timeout_ms: 2000, connect_cookies: ['session'] },
      namespaces: { default: {} },
    });
    try {
      const started = Date.now();
      const refused = TestClient.open(node.wsUrl, withCookie('s-alice'));
      const closed = await refused.closed;
      assert.equal(closed.code, 1013);
      const error = refused.frames.find((f) => f.type === 'error') as ServerFrame & { error: ErrorBody };
      assert.equal(error.error.code, 'unavailable');
      assert.match(error.error.message, /connect hook is unreachable \(ECONNREFUSED\)/);
      assert.ok(Date.now() - started < 2000);
      const client = await TestClient.connect(`${node.wsUrl}?token=${await signJwt(JWT_SECRET, 'u1')}`);
      const channel = `c${Date.now()}`;
      await client.subscribe(channel);
      const rpc = (await client.request({ type: 'rpc', method: 'x' })) as Reply;
      assert.equal(rpc.error?.code, 'unavailable');
      await publish(node, channel, 'still here');
      assert.equal((await client.waitForMessages(1, channel))[0]!.data, 'still here');
      client.close();
    } finally {
      await node.close();
    }
  });

  it('the refresh hook extends a cookie session, then ends it (close 4004)', async () => {
    const session = await hookBackend(SECRET);
    let refreshes = 0;
    session.handle('/connect', () => ({ result: { user: 'rita', expires: Math.floor(Date.now() / 1000) + 1 } }));
    session.handle('/refresh', ({ body }) => {
      refreshes++;
      assert.equal(body.user, 'rita');
      return refreshes === 1 ? { result: { expires: Math.floor(Date.now() / 1000) + 1 } } : { result: { expired: true } };
    });
    const node = await startServer({ hooks: { connect_url: `${session.url}/connect`, refresh_url: `${session.url}/refresh`, secret: SECRET } });
    try {
      const client = await TestClient.connect(node.wsUrl);
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([client.closed, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 6000)))]);
      clearTimeout(timer);
      assert.equal(closed?.code, 4004);
      assert.equal(refreshes, 2, 'extended once, then ended');
    } finally {
      await node.close();
      await session.close();
    }
  });

  it('a refresh answer whose expires is already past ends the session (close 4004), not a loop of calls', async () => {
    const session = await hookBackend(SECRET);
    let refreshes = 0;
    const past = Math.floor(Date.now() / 1000) - 3600;
    session.handle('/connect', () => ({ result: { user: 'rita', expires: past } }));
    session.handle('/refresh', () => (refreshes++, { result: { expires: past } }));
    const node = await startServer({ hooks: { connect_url: `${session.url}/connect`, refresh_url: `${session.url}/refresh`, secret: SECRET } });
    try {
      const client = await TestClient.connect(node.wsUrl);
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([client.closed, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 3000)))]);
      clearTimeout(timer);
      assert.equal(closed?.code, 4004);
      await sleep(200);
      assert.equal(refreshes, 1, 'asked once');
    } finally {
      await node.close();
      await session.close();
    }
  });
});
