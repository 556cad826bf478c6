/**
 * The Pusher protocol with the unmodified `pusher-js` and `pusher` npm packages against a real
 * node: connection, channels, presence, client events, sign-in, one channel space.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type Pusher from 'pusher';
import { publish, sleep, startServer, TestClient, waitUntil, type TestServer } from '../../test/helpers.js';
import { connected, disconnectAll, newApp, pusherClient, record, serverSdk, subscribed, type PusherJs, type TestApp } from '../../test/pusher.js';

const rand = () => Math.random().toString(36).slice(2, 10);

describe('pusher protocol', () => {
  let server: TestServer;
  let app: TestApp;
  let sdk: Pusher;
  const clients: PusherJs[] = [];
  const client = (user?: { id: string; info?: Record<string, unknown> }) => {
    const c = pusherClient(app, server.url, sdk, user ? { user } : {});
    clients.push(c);
    return c;
  };

  before(async () => {
    app = newApp();
    server = await startServer({ pusher: { apps: [{ ...app, client_events_per_second: 5 }] } });
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

  it('answers pusher:ping with pusher:pong and refuses an unknown key with 4001', async () => {
    const port = new URL(server.url).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${app.key}?protocol=7&client=js&version=8.6.0`);
    const frames: Array<{ event: string; data?: string }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as { event: string; data?: string }));
    await waitUntil(() => frames.find((f) => f.event === 'pusher:connection_established'), 5000, () => 'handshake');
    const established = JSON.parse(frames[0]!.data!) as { activity_timeout: number };
    assert.equal(established.activity_timeout, 30);
    ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
    await waitUntil(() => frames.find((f) => f.event === 'pusher:pong'), 5000, () => 'pong');
    ws.close();

    const bad = new WebSocket(`ws://127.0.0.1:${port}/app/no-such-key?protocol=7`);
    const code = await new Promise<number>((resolve) => bad.on('close', (c) => resolve(c)));
    assert.equal(code, 4001);
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
    herald.close();
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
});
