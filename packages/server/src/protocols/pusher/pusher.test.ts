/**
 * The Pusher protocol with the unmodified `pusher-js` and `pusher` npm packages against a real
 * node: connection, channels, presence, client events, sign-in, one channel space.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type Pusher from 'pusher';
import { api, publish, sleep, startServer, TestClient, waitUntil, type TestServer } from '../../test/helpers.js';
import { connected, disconnectAll, newApp, pusherClient, record, serverSdk, subscribed, type PusherJs, type TestApp } from '../../test/pusher.js';

const rand = () => Math.random().toString(36).slice(2, 10);

describe('pusher protocol', () => {
  let server: TestServer;
  let app: TestApp;
  let sdk: Pusher;
  let limited: { disabled: string; small: string };
  const clients: PusherJs[] = [];
  const client = (user?: { id: string; info?: Record<string, unknown> }) => {
    const c = pusherClient(app, server.url, sdk, user ? { user } : {});
    clients.push(c);
    return c;
  };

  before(async () => {
    app = newApp();
    const [off, small] = [newApp(), newApp()];
    limited = { disabled: off.key, small: small.key };
    server = await startServer({
      pusher: {
        // pusher-js pings after this much silence: tests see ping/pong within seconds.
        activity_timeout_seconds: 1,
        apps: [
          { ...app, client_events_per_second: 5 },
          { ...off, enabled: false },
          { ...small, max_connections: 1, allowed_origins: ['https://app.example'] },
        ],
      },
    });
    sdk = serverSdk(app, server.url);
  });
  after(async () => {
    disconnectAll(clients);
    await server.close();
  });

  it('connects with a socket id the server SDK accepts and a usable activity timeout', async () => {
    const socketId = await connected(client());
    assert.match(socketId, /^\d+\.\d+$/);
    // The SDK validates the socket id itself: signing for it must not throw.
    assert.ok(sdk.authorizeChannel(socketId, 'private-x').auth.startsWith(`${app.key}:`));
  });

  it('keeps an idle pusher-js connection alive with ping/pong', async () => {
    // pusher-js pings after the server's activity_timeout (1 s here) and reconnects, with a new
    // socket id, when no pong comes within pongTimeout.
    const idle = pusherClient(app, server.url, sdk, { extra: { pongTimeout: 500 } });
    clients.push(idle);
    const socketId = await connected(idle);
    const states: string[] = [];
    idle.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
    await sleep(3000);
    assert.deepEqual(states, []);
    assert.equal(idle.connection.socket_id, socketId);
  });

  it('makes pusher-js give up on an unknown key (4001) rather than retry', async () => {
    const wrong = pusherClient({ ...app, key: 'no-such-key' }, server.url, sdk);
    clients.push(wrong);
    const states: string[] = [];
    wrong.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
    await waitUntil(() => states.includes('disconnected') || undefined, 5000, () => `disconnected, states ${states.join()}`);
    await sleep(1500);
    assert.deepEqual(states.slice(states.indexOf('disconnected')), ['disconnected'], 'no reconnect after 4001');
  });

  it('answers pusher:ping with pusher:pong and refuses an unknown key with 4001', async () => {
    const port = new URL(server.url).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${app.key}?protocol=7&client=js&version=8.6.0`);
    const frames: Array<{ event: string; data?: string }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as { event: string; data?: string }));
    await waitUntil(() => frames.find((f) => f.event === 'pusher:connection_established'), 5000, () => 'handshake');
    const established = JSON.parse(frames[0]!.data!) as { activity_timeout: number };
    assert.equal(established.activity_timeout, 1);
    // Garbage of every kind is answered with pusher:error; the connection keeps serving.
    const garbage = ['not json', '[]', '{"event":5}', '{"event":"pusher:subscribe","data":"x"}', '{"event":"pusher:subscribe","data":{"channel":"bad name"}}',
      `{"event":"pusher:subscribe","data":{"channel":"${'x'.repeat(300)}"}}`, '{"event":"client-x","data":{}}', '{"event":"pusher:signin","data":{"auth":1}}',
      '{"event":"pusher:subscribe","data":{"channel":"presence-p","auth":"k:s","channel_data":"{}"}}', `{"event":"x","data":${'['.repeat(200)}${']'.repeat(200)}}`];
    for (const g of garbage) ws.send(g);
    ws.send(Buffer.from([1, 2, 3]));
    await waitUntil(() => frames.filter((f) => f.event === 'pusher:error').length >= garbage.length - 2 || undefined, 5000, () => `errors: ${JSON.stringify(frames)}`);
    ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
    await waitUntil(() => frames.find((f) => f.event === 'pusher:pong'), 5000, () => 'pong');
    ws.close();

    const outcome = (path: string, origin?: string) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, origin ? { headers: { origin } } : {});
      socket.on('message', () => {});
      return new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    };
    assert.equal(await outcome('/app/no-such-key?protocol=7'), 4001);
    assert.equal(await outcome(`/app/${limited.disabled}?protocol=7`), 4003);
    assert.equal(await outcome(`/app/${app.key}?protocol=3`), 4007);
    assert.equal(await outcome(`/app/${limited.small}?protocol=7`, 'https://evil.example'), 4009);
    // One connection allowed: the first (allowed origin) stays, the second is over quota.
    const first = new WebSocket(`ws://127.0.0.1:${port}/app/${limited.small}?protocol=7`, { headers: { origin: 'https://app.example' } });
    await new Promise((resolve) => first.once('message', resolve));
    assert.equal(await outcome(`/app/${limited.small}?protocol=7`), 4100);
    first.close();
  });

  it('sends a cache channel\'s last event to a new subscriber, or pusher:cache_miss', async () => {
    const name = `cache-${rand()}`;
    const early = client();
    await connected(early);
    const missed: unknown[] = [];
    early.subscribe(name).bind('pusher:cache_miss', () => missed.push(1));
    await waitUntil(() => missed.length || undefined, 5000, () => 'cache miss');
    await sdk.trigger(name, 'state', { v: 1 });
    await sdk.trigger(name, 'state', { v: 2 });
    const late = client();
    await connected(late);
    const got: unknown[] = [];
    late.subscribe(name).bind('state', (d: unknown) => got.push(d));
    await waitUntil(() => got.length || undefined, 5000, () => 'cached event');
    await sleep(100);
    assert.deepEqual(got, [{ v: 2 }]);
  });

  it('delivers a Herald API publish to pusher-js and a Pusher trigger to Herald-protocol subscribers', async () => {
    const name = `orders-${rand()}`;
    const pusher = client();
    await connected(pusher);
    const channel = await subscribed(pusher, name);
    const got = record<{ status: string }>(channel, 'updated');
    const herald = await TestClient.connect(server.wsUrl);
    await herald.subscribe(`pusher-${app.id}:${name}`);

    assert.equal((await publish(server, `pusher-${app.id}:${name}`, { status: 'shipped' }, 'updated')).status, 200);
    await sdk.trigger(name, 'updated', { status: 'delivered' });

    await waitUntil(() => got.length >= 2 || undefined, 5000, () => `2 events, got ${JSON.stringify(got)}`);
    assert.deepEqual(got, [{ status: 'shipped' }, { status: 'delivered' }]);
    const messages = await herald.waitForMessages(2);
    assert.deepEqual(messages.map((m) => [m.event, m.data]), [['updated', { status: 'shipped' }], ['updated', { status: 'delivered' }]]);
    // Herald's protocol is no way around a Pusher channel's signature.
    const refused = await herald.request({ type: 'subscribe', channel: `pusher-${app.id}:private-${name}` });
    assert.equal((refused as { error?: { code: string } }).error?.code, 'forbidden');
    herald.close();
    // History and metrics see both protocols.
    const history = await api(server, `/api/channels/pusher-${app.id}:${name}/history`);
    assert.deepEqual((history.json.publications as Array<{ data: unknown }>).map((p) => p.data), [{ status: 'shipped' }, { status: 'delivered' }]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /herald_connections\{transport="pusher"\} [1-9]/);
  });

  it('leaves out the socket named in socket_id', async () => {
    const name = `excl-${rand()}`;
    const [a, b] = [client(), client()];
    const aId = await connected(a);
    await connected(b);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const gotA = record(chA, 'ev');
    const gotB = record(chB, 'ev');
    await sdk.trigger(name, 'ev', { n: 1 }, { socket_id: aId });
    await waitUntil(() => gotB.length === 1 || undefined, 5000, () => 'b gets the event');
    await sleep(100);
    assert.equal(gotA.length, 0);
  });

  it('authorizes private channels by signature and refuses a bad one with the connection kept', async () => {
    const pusher = client();
    await connected(pusher);
    await subscribed(pusher, `private-${rand()}`);
    // A signature for another socket: the server must refuse it.
    const forged = new (pusher.constructor as new (key: string, options: unknown) => PusherJs)(app.key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(server.url).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: { endpoint: '/x', transport: 'ajax', customHandler: ({ channelName }: { channelName: string }, cb: (e: null, a: { auth: string }) => void) => cb(null, sdk.authorizeChannel('1.1', channelName)) },
    });
    clients.push(forged);
    await connected(forged);
    await assert.rejects(subscribed(forged, `private-${rand()}`), (err: Error & { detail?: { status: number } }) => err.detail?.status === 401);
    await assert.rejects(subscribed(forged, `presence-${rand()}`), /refused/);
    assert.equal(forged.connection.state, 'connected');
    await subscribed(forged, `public-${rand()}`);
  });

  it('announces a user once however many tabs it has, and removes it when its last tab leaves', async () => {
    const name = `presence-${rand()}`;
    const watcher = client({ id: 'b', info: { name: 'B' } });
    await connected(watcher);
    const channel = await subscribed(watcher, name);
    const added = record<{ id: string; info: unknown }>(channel, 'pusher:member_added');
    const removed = record<{ id: string }>(channel, 'pusher:member_removed');
    const tab1 = client({ id: '42', info: { name: 'Ann' } });
    const tab2 = client({ id: '42', info: { name: 'Ann' } });
    await Promise.all([connected(tab1), connected(tab2)]);
    const joined = await subscribed(tab1, name);
    await subscribed(tab2, name);
    await waitUntil(() => added.length >= 1 || undefined, 5000, () => 'member_added');
    await sleep(200);
    assert.deepEqual(added, [{ id: '42', info: { name: 'Ann' } }]);
    const members = (joined as unknown as { members: { count: number; me: { id: string } } }).members;
    assert.equal(members.count, 2);
    assert.equal(members.me.id, '42');
    const snapshot = (await (await sdk.get({ path: `/channels/${name}/users` })).json()) as { users: Array<{ id: string }> };
    assert.deepEqual(snapshot.users.map((u) => u.id).sort(), ['42', 'b']);

    // Client events on presence channels say who sent them.
    const whispers: Array<[unknown, { user_id?: string }]> = [];
    channel.bind('client-wave', (data: unknown, meta: { user_id?: string }) => whispers.push([data, meta]));
    joined.trigger('client-wave', { hi: 1 });
    await waitUntil(() => whispers.length || undefined, 5000, () => 'client event with user_id');
    assert.deepEqual(whispers[0], [{ hi: 1 }, { user_id: '42' }]);

    tab1.disconnect();
    await sleep(300);
    assert.equal(removed.length, 0, 'closing one of two tabs removes nobody');
    tab2.disconnect();
    await waitUntil(() => removed.length >= 1 || undefined, 5000, () => 'member_removed');
    await sleep(200);
    assert.deepEqual(removed, [{ id: '42', info: { name: 'Ann' } }]);
  });

  it('relays client events on private channels to the others only, refuses them elsewhere and rate-limits them with 4301', async () => {
    const name = `private-${rand()}`;
    const [a, b] = [client(), client()];
    await Promise.all([connected(a), connected(b)]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const gotA = record(chA, 'client-typing');
    const gotB = record(chB, 'client-typing');
    const errors: Array<{ data?: { code?: number } }> = [];
    a.connection.bind('error', (e: { data?: { code?: number } }) => errors.push(e));
    assert.ok(chA.trigger('client-typing', { who: 'a' }));
    await waitUntil(() => gotB.length >= 1 || undefined, 5000, () => 'client event at b');
    assert.deepEqual(gotB, [{ who: 'a' }]);

    const pub = await subscribed(a, `public-${rand()}`);
    pub.trigger('client-typing', { who: 'a' });
    await waitUntil(() => errors.find((e) => e.data?.code === 4301), 5000, () => 'refusal on a public channel');

    for (let i = 0; i < 12; i++) chA.trigger('client-typing', { i });
    await waitUntil(() => errors.filter((e) => e.data?.code === 4301).length >= 2 || undefined, 5000, () => 'rate limit error');
    await sleep(200);
    assert.ok(gotB.length <= 1 + 5 + 1, `at most the burst got through: ${gotB.length}`);
    assert.equal(gotA.length, 0, 'the sender never gets its own client events');
    assert.equal(a.connection.state, 'connected');
  });

  it('relays private-encrypted channels that pusher-js decrypts with the shared secret from the SDK', async () => {
    const secure = serverSdk(app, server.url, randomBytes(32).toString('base64'));
    const pusher = pusherClient(app, server.url, secure);
    clients.push(pusher);
    await connected(pusher);
    const channel = await subscribed(pusher, `private-encrypted-${rand()}`);
    const got = record(channel, 'secret');
    await secure.trigger(channel.name, 'secret', { card: '4111' });
    await waitUntil(() => got.length || undefined, 5000, () => 'decrypted event');
    assert.deepEqual(got, [{ card: '4111' }]);
    const history = await api(server, `/api/channels/pusher-${app.id}:${channel.name}/history`);
    assert.ok(!JSON.stringify(history.json).includes('4111'), 'the server only ever holds the ciphertext');
  });

  it('signs a user in, delivers sendToUser to all its connections and terminates them', async () => {
    const id = `u-${rand()}`;
    const [tab1, tab2] = [client({ id }), client({ id })];
    await Promise.all([connected(tab1), connected(tab2)]);
    tab1.signin();
    tab2.signin();
    await Promise.all([tab1.user.signinDonePromise, tab2.user.signinDonePromise]);
    assert.equal(tab1.user.user_data?.id, id);
    const got: unknown[] = [];
    tab1.user.bind('notice', (d: unknown) => got.push(d));
    tab2.user.bind('notice', (d: unknown) => got.push(d));
    await waitUntil(() => (tab1.user as unknown as { serverToUserChannel?: { subscribed: boolean } }).serverToUserChannel?.subscribed || undefined, 5000, () => 'user channel');
    await sdk.sendToUser(id, 'notice', { hello: id });
    await waitUntil(() => got.length >= 2 || undefined, 5000, () => 'sendToUser at both tabs');
    assert.deepEqual(got, [{ hello: id }, { hello: id }]);

    await sdk.terminateUserConnections(id);
    await waitUntil(() => (tab1.connection.state !== 'connected' && tab2.connection.state !== 'connected') || undefined, 5000, () => 'both terminated');
    await sleep(300);
    // 4009 is in the "do not reconnect" range: pusher-js stays off.
    assert.notEqual(tab1.connection.state, 'connected');
  });
});
