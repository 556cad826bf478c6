/**
 * The client SDK's side of hooks, server-side subscriptions and presence updates, against a real
 * node and a real backend: rpc, presenceUpdate seen by another SDK client, and a server-side
 * subscription that recovers what was missed while the network was down. The control API's
 * subscribe and unsubscribe reach the SDK through the same frames. A delta subscription
 * lives beside server-side ones on the same connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type HeraldClient, type HeraldError, type Subscription } from '@herald/client';
import type { ClientInfo } from '@herald/protocol';
import { api, FAST_BACKOFF, publish, signJwt, startServer, waitUntil, type TestServer } from './helpers.js';
import { hookBackend, type HookBackend } from './hook-backend.js';
import { startProxy, type Proxy } from './proxy.js';

const SECRET = 'sdk-hooks-secret-0123456789';
const JWT_SECRET = 'sdk-hooks-jwt-secret-0123456789ab';

describe('client SDK: rpc, presence updates, server-side subscriptions', () => {
  let backend: HookBackend;
  let server: TestServer;
  let proxy: Proxy;
  const clients: HeraldClient[] = [];
  const client = (url: string, token?: string, transport: 'websocket' | 'sse' = 'websocket') => {
    const c = connect(url, { backoff: FAST_BACKOFF, transports: [transport], ...(token ? { token } : {}) });
    clients.push(c);
    return c;
  };

  before(async () => {
    backend = await hookBackend(SECRET);
    backend.handle('/rpc', ({ body }) => (body.method === 'echo' ? { result: { data: { echo: body.data, user: body.user } } } : { error: { code: 'no_such_method', message: 'unknown' } }));
    server = await startServer({
      auth: { jwt: { secrets: [JWT_SECRET] } },
      hooks: { rpc_url: `${backend.url}/rpc`, secret: SECRET },
      server_subscriptions: { personal_namespace: 'user' },
      namespaces: { default: {}, user: {}, room: { presence: true } },
    });
    proxy = await startProxy(Number(new URL(server.url).port));
  });
  after(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await server.close();
    await backend.close();
  });

  it("rpc resolves with the backend's data and rejects with its code", async () => {
    const c = client(server.wsUrl, await signJwt(JWT_SECRET, 'ann'));
    await waitUntil(() => c.state === 'connected', 5000, () => 'connected');
    assert.deepEqual(await c.rpc('echo', { x: 1 }), { echo: { x: 1 }, user: 'ann' });
    await assert.rejects(c.rpc('nope'), (err: HeraldError) => err.code === 'no_such_method');
  });

  it("presenceUpdate changes the member's info in every watcher's sub.members, with an update event", async () => {
    const room = `room:sdk${Date.now()}`;
    const typist = client(server.wsUrl, await signJwt(JWT_SECRET, 'tia', { info: { name: 'Tia' } }));
    const watcher = client(server.wsUrl, await signJwt(JWT_SECRET, 'wes'));
    const watched = watcher.subscribe(room, undefined, { presence: true });
    const updates: ClientInfo[] = [];
    watched.on('update', (i) => updates.push(i));
    const own = typist.subscribe(room);
    await waitUntil(() => own.state === 'subscribed' && watched.members.get('tia'), 5000, () => 'tia joined');
    assert.deepEqual(watched.members.get('tia')!.info, { name: 'Tia' });
    await typist.presenceUpdate(room, { name: 'Tia', status: 'typing' });
    await waitUntil(() => updates.length === 1, 5000, () => 'update event');
    assert.deepEqual(watched.members.get('tia')!.info, { name: 'Tia', status: 'typing' });
  });

  it('a control API subscribe is a server-side Subscription for that connection only; a control unsubscribe ends even an own one', async () => {
    const user = `cal${Date.now()}`;
    const [pushed, own] = [`default:push${Date.now()}`, `default:own${Date.now()}`];
    const c = client(server.wsUrl, await signJwt(JWT_SECRET, user));
    const subs: Subscription[] = [];
    c.on('server-subscription', (s) => subs.push(s));
    const mine = c.subscribe(own);
    await waitUntil(() => mine.state === 'subscribed' && subs.length === 1, 5000, () => 'subscribed, with the personal channel');

    assert.deepEqual((await api(server, `/api/users/${user}/subscribe`, { body: { channel: pushed } })).json.subscribed, 1);
    await waitUntil(() => c.serverSubscriptions.get(pushed)?.state === 'subscribed', 5000, () => 'control subscription announced');
    const got: unknown[] = [];
    c.serverSubscriptions.get(pushed)!.on('message', (m) => got.push(m.data));
    await publish(server, pushed, 'hello');
    await waitUntil(() => got.length === 1, 5000, () => 'message on the control subscription');
    assert.equal((await api(server, `/api/users/${user}/subscribe`, { body: { channel: own } })).json.subscribed, 0, 'already subscribed: not counted');

    const ended: string[] = [];
    mine.on('unsubscribed', () => ended.push(own));
    assert.equal((await api(server, `/api/users/${user}/unsubscribe`, { body: { channel: own } })).json.unsubscribed, 1);
    await waitUntil(() => ended.length === 1 && mine.state === 'unsubscribed', 5000, () => 'own subscription ended by the server');

    // A reconnect (4100: disconnected, come back) keeps the token's channels but not the control one.
    c.serverSubscriptions.get(pushed)!.on('unsubscribed', () => ended.push(pushed));
    assert.equal((await api(server, `/api/users/${user}/disconnect`, { body: { reconnect: true } })).json.disconnected, 1);
    await waitUntil(() => ended.length === 2, 5000, () => 'the control subscription ended at the reconnect');
    await waitUntil(() => c.state === 'connected' && c.serverSubscriptions.get(`user:#${user}`)?.state === 'subscribed', 5000, () => 'reconnected');
    assert.deepEqual([...c.serverSubscriptions.keys()], [`user:#${user}`]);
    const listed = await api(server, `/api/users/${user}/connections`);
    assert.deepEqual((listed.json.connections as Array<{ channels: string[] }>).map((x) => x.channels), [[`user:#${user}`]], 'neither ended channel was subscribed again');
  });

  for (const transport of ['websocket', 'sse'] as const) {
    it(`a delta subscription and server-side ones share a connection: whole messages on each, deltas on the wire, a control unsubscribe ends the delta one (${transport})`, async () => {
      const user = `dee-${transport}`;
      const [feed, doc] = [`default:dfeed${Date.now()}`, `default:ddoc${Date.now()}`];
      const c = client(server.wsUrl, await signJwt(JWT_SECRET, user, { channels: [feed] }), transport);
      const subs: Subscription[] = [];
      c.on('server-subscription', (s) => subs.push(s));
      const sub = c.subscribe(doc, undefined, { delta: true });
      const failed: string[] = [];
      sub.on('delta-failed', (e) => failed.push(e.reason));
      await waitUntil(() => sub.state === 'subscribed' && subs.length === 2, 5000, () => `subscribed (server-side: ${subs.map((s) => s.channel).join()})`);
      const [docs, feeds]: [unknown[], unknown[]] = [[], []];
      sub.on('message', (m) => docs.push(m.data));
      c.serverSubscriptions.get(feed)!.on('message', (m) => feeds.push(m.data));
      const versions = [1, 2, 3, 4].map((v) => ({ version: v, items: Array.from({ length: 30 }, (_, i) => ({ id: i, name: `item ${i}`, price: i === v ? 100 + v : i })) }));
      const deltasBefore = server.herald.hub.counters.deltas;
      for (const version of versions) {
        await publish(server, doc, version);
        await publish(server, feed, version.version);
      }
      await waitUntil(() => docs.length === 4 && feeds.length === 4, 5000, () => `messages (docs ${docs.length}, feed ${feeds.length})`);
      assert.deepEqual(docs, versions, 'the delta subscription hands over whole documents');
      assert.deepEqual(feeds, [1, 2, 3, 4]);
      assert.deepEqual(failed, []);
      assert.ok(server.herald.hub.counters.deltas - deltasBefore >= 3, 'the later documents went as deltas');

      if (transport !== 'websocket') return;
      const ended: string[] = [];
      sub.on('unsubscribed', () => ended.push(doc));
      assert.equal((await api(server, `/api/users/${user}/unsubscribe`, { body: { channel: doc } })).json.unsubscribed, 1);
      await waitUntil(() => ended.length === 1 && sub.state === 'unsubscribed', 5000, () => 'delta subscription ended by the server');
      await publish(server, feed, 5);
      await waitUntil(() => feeds.length === 5, 5000, () => 'the server-side subscription carries on');
    });
  }

  for (const transport of ['websocket', 'sse'] as const) {
    it(`a server-side subscription appears as a Subscription and recovers what was missed across a reconnect (${transport})`, async () => {
      const feed = `feed${Date.now()}`;
      const user = `sam-${transport}`;
      const c = client(proxy.url.replace(/^http/, 'ws') + '/ws', await signJwt(JWT_SECRET, user, { channels: [feed] }), transport);
      // On SSE the SDK opens a stream for a subscription of its own; the server adds its channels.
      if (transport === 'sse') c.subscribe(`own${Date.now()}`);
      const subs: Subscription[] = [];
      c.on('server-subscription', (s) => subs.push(s));
      await waitUntil(() => subs.length === 2, 5000, () => `two server-side subscriptions (have ${subs.map((s) => s.channel).join()})`);
      assert.deepEqual(subs.map((s) => s.channel).sort(), [feed, `user:#${user}`].sort());
      const sub = c.serverSubscriptions.get(feed)!;
      const got: unknown[] = [];
      sub.on('message', (m) => got.push(m.data));
      await publish(server, feed, 1);
      await waitUntil(() => got.length === 1, 5000, () => 'first message');
      proxy.down();
      await waitUntil(() => c.state !== 'connected', 5000, () => 'disconnected');
      await publish(server, feed, 2);
      await publish(server, feed, 3);
      proxy.up();
      await waitUntil(() => got.length === 3, 10_000, () => `missed messages (got ${JSON.stringify(got)})`);
      assert.deepEqual(got, [1, 2, 3]);
      assert.equal(subs.length, 2, 'the same Subscription objects carry on after the reconnect');
      assert.equal(c.transport, transport);
    });
  }
});
