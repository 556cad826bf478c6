/**
 * Two Pusher apps on two nodes sharing one engine (Redis, then NATS): the same channel name in
 * each app is two channels, with separate subscribers, presence, channel lists and webhooks;
 * presence of one app is the same on both nodes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sleep, startServer, waitUntil, type TestServer } from '../../test/helpers.js';
import { connected, disconnectAll, newApp, pusherClient, record, serverSdk, subscribed, type PusherJs, type TestApp } from '../../test/pusher.js';
import { deleteNatsStreams, deleteRedisKeys, NATS_SERVERS, REDIS_URL, uniquePrefix } from '../../test/services.js';

async function hookReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    bodies,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const prefix = uniquePrefix();
const engines = [
  { name: 'Redis', engine: { type: 'redis', prefix, redis: { url: REDIS_URL } }, cleanup: () => deleteRedisKeys(REDIS_URL, prefix) },
  { name: 'NATS', engine: { type: 'nats', prefix, nats: { servers: NATS_SERVERS, storage: 'memory' } }, cleanup: () => deleteNatsStreams(prefix) },
];

for (const { name: engineName, engine, cleanup } of engines) describe(`pusher apps on one ${engineName}`, () => {
  let nodes: TestServer[];
  let apps: TestApp[];
  let hooks: Array<Awaited<ReturnType<typeof hookReceiver>>>;
  const clients: PusherJs[] = [];

  before(async () => {
    apps = [newApp(), newApp()];
    hooks = await Promise.all([hookReceiver(), hookReceiver()]);
    const config = {
      engine,
      pusher: { apps: apps.map((a, i) => ({ ...a, webhooks: [{ url: hooks[i]!.url }], webhook_delay_ms: 50 })) },
    };
    nodes = await Promise.all([startServer(config), startServer(config)]);
  });
  after(async () => {
    disconnectAll(clients);
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(hooks.map((h) => h.close()));
    await cleanup();
  });

  it('keeps channels, presence and webhooks apart', async () => {
    const name = `presence-room-${Math.random().toString(36).slice(2, 8)}`;
    const [a, b] = apps.map((app) => serverSdk(app, nodes[0]!.url)) as [ReturnType<typeof serverSdk>, ReturnType<typeof serverSdk>];
    // App A: one member on each node; app B: one member, same channel name, same user id.
    const a1 = pusherClient(apps[0]!, nodes[0]!.url, a, { user: { id: 'u1' } });
    const a2 = pusherClient(apps[0]!, nodes[1]!.url, a, { user: { id: 'u2' } });
    const b1 = pusherClient(apps[1]!, nodes[1]!.url, b, { user: { id: 'u1' } });
    clients.push(a1, a2, b1);
    await Promise.all([a1, a2, b1].map((c) => connected(c)));
    const chA1 = await subscribed(a1, name);
    const chA2 = await subscribed(a2, name);
    const chB1 = await subscribed(b1, name);
    const gotA = record(chA2, 'news');
    const gotB = record(chB1, 'news');
    const joinedB = record(chB1, 'pusher:member_added');

    await a.trigger(name, 'news', { app: 'a' });
    await waitUntil(() => gotA.length || undefined, 5000, () => 'app A event across nodes');
    await sleep(200);
    assert.deepEqual([gotA, gotB], [[{ app: 'a' }], []]);

    const users = async (sdk: typeof a) => ((await (await sdk.get({ path: `/channels/${name}/users` })).json()) as { users: Array<{ id: string }> }).users.map((u) => u.id).sort();
    assert.deepEqual(await users(a), ['u1', 'u2']);
    assert.deepEqual(await users(b), ['u1']);
    assert.equal((chA1 as unknown as { members: { count: number } }).members.count, 2);
    assert.equal(joinedB.length, 0, "app B never hears of app A's members");
    const list = async (sdk: typeof a) => Object.keys(((await (await sdk.get({ path: '/channels' })).json()) as { channels: object }).channels);
    assert.deepEqual(await list(b), [name]);

    // Webhooks: each app's receiver sees only its own members.
    const members = (i: number) => hooks[i]!.bodies.flatMap((body) => (JSON.parse(body) as { events: Array<{ name: string; user_id?: string }> }).events).filter((e) => e.name === 'member_added').map((e) => e.user_id).sort();
    await waitUntil(() => (members(0).length === 2 && members(1).length === 1) || undefined, 5000, () => `member webhooks ${members(0)} / ${members(1)}`);
    assert.deepEqual([members(0), members(1)], [['u1', 'u2'], ['u1']]);
  });
});
