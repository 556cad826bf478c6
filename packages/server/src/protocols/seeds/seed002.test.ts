/**
 * Seed 002's playground protocol between clients on two nodes sharing Redis: broadcast from a
 * client and from `POST /api/event`, presence join/update/leave with metadata and a full sync on
 * subscribe, members removed when they disconnect; JWT identification; native clients alongside.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { API_KEY, signJwt, sleep, startServer, TestClient, type TestServer } from '../../test/helpers.js';
import { startNodes } from '../../test/multi-node.js';
import { collected, Seed002Playground } from '../../test/seed-clients.js';
import { deleteNatsStreams, deleteRedisKeys, NATS_SERVERS, REDIS_URL, uniquePrefix, until } from '../../test/services.js';

const wsOf = (node: TestServer) => node.wsUrl;

async function refusal(url: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url);
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => resolve({ status: 101, body: '' }));
    ws.on('error', () => {});
  });
}

let n = 0;
const room = () => `room${Date.now()}_${n++}`;

const prefix = uniquePrefix();
const engines: Array<[string, Record<string, unknown>, () => Promise<void>]> = [
  ['Redis', { type: 'redis', prefix, redis: { url: REDIS_URL } }, () => deleteRedisKeys(REDIS_URL, prefix)],
  ['NATS', { type: 'nats', prefix, nats: { servers: NATS_SERVERS, storage: 'memory' } }, () => deleteNatsStreams(prefix)],
];

for (const [engineName, engine, cleanup] of engines) describe(`seed 002 compatibility on two nodes over ${engineName}`, () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    [a, b] = (await startNodes(2, engine, { compat: { seed002: { enabled: true } } })) as [TestServer, TestServer];
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    await cleanup();
  });

  it('broadcast and presence join/update/leave/sync between two clients on two nodes', async () => {
    const ch = room();
    const alice = new Seed002Playground(`${wsOf(a)}?user_id=alice`, ch, ['broadcast', 'presence']);
    assert.equal(await alice.opened, true);
    const [empty] = await collected(alice.frames, 1, 'frames');
    assert.deepEqual(empty, { type: 'presence_sync', channel: ch, users: [] });
    alice.send({ type: 'presence_join', channel: ch, payload: { name: 'Alice' } });
    await until(() => alice.of('presence_join').length === 1, 'alice sees her join');
    const bob = new Seed002Playground(`${wsOf(b)}?user_id=bob`, ch, ['broadcast', 'presence']);
    await until(() => bob.of('presence_sync').length === 1, 'bob gets the sync');
    const sync = bob.of('presence_sync')[0]!;
    assert.equal((sync.users as Array<Record<string, unknown>>).length, 1);
    assert.deepEqual({ ...(sync.users as Array<Record<string, unknown>>)[0], updated_at: 0 }, { user_id: 'alice', meta: { name: 'Alice' }, updated_at: 0 });

    alice.send({ type: 'presence_update', channel: ch, payload: { name: 'Alice', status: 'typing' } });
    bob.send({ type: 'presence_join', channel: ch, payload: { name: 'Bob' } });
    for (const c of [alice, bob]) {
      await until(() => c.of('presence_update').length === 1 && c.of('presence_join').some((f) => f.user_id === 'bob'), 'update and bob\'s join everywhere');
      const update = c.of('presence_update')[0]!;
      assert.deepEqual([update.channel, update.user_id, update.meta], [ch, 'alice', { name: 'Alice', status: 'typing' }]);
      assert.equal(typeof update.updated_at, 'number');
      assert.equal(typeof update.ts, 'number');
    }

    alice.send({ type: 'broadcast', channel: ch, event: 'chat', payload: { text: 'hi <b>' } });
    for (const c of [alice, bob]) await until(() => c.of('broadcast').length === 1, 'the client broadcast everywhere (the sender too)');
    const event = await fetch(`${b.url}/api/event`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: ch, payload: { n: 1 } }) });
    assert.equal(event.status, 200);
    for (const c of [alice, bob]) {
      await until(() => c.of('broadcast').length === 2, 'two broadcasts everywhere (the sender too)');
      const [chat, api] = c.of('broadcast');
      assert.deepEqual({ ...chat, ts: 0 }, { type: 'broadcast', channel: ch, event: 'chat', payload: { text: 'hi <b>' }, user_id: 'alice', ts: 0 });
      assert.deepEqual({ ...api, ts: 0 }, { type: 'broadcast', channel: ch, event: 'message', payload: { n: 1 }, ts: 0 });
    }

    alice.send({ type: 'presence_leave', channel: ch });
    await until(() => bob.of('presence_leave').length === 1, 'bob sees alice leave');
    assert.deepEqual({ ...bob.of('presence_leave')[0], ts: 0 }, { type: 'presence_leave', channel: ch, user_id: 'alice', ts: 0 });
    // A member that disconnects leaves (the seed kept it forever).
    bob.close();
    await until(() => alice.of('presence_leave').some((f) => f.user_id === 'bob'), 'alice sees bob leave when his socket goes');
    const late = new Seed002Playground(`${wsOf(b)}?user_id=carol`, ch, ['presence']);
    await until(() => late.of('presence_sync').length === 1, 'carol gets the sync');
    assert.deepEqual(late.of('presence_sync')[0]!.users, []);
    alice.close();
    late.close();
  });

  it('listen decides what a client gets; client frames that cannot apply are dropped without closing', async () => {
    const ch = room();
    const presenceOnly = new Seed002Playground(`${wsOf(a)}?user_id=p`, ch, ['presence']);
    const broadcastOnly = new Seed002Playground(`${wsOf(b)}?user_id=q`, ch, ['broadcast']);
    await until(() => presenceOnly.of('presence_sync').length === 1, 'sync');
    await presenceOnly.opened;
    await broadcastOnly.opened;
    await sleep(50);
    broadcastOnly.send({ type: 'presence_join', channel: ch, payload: 'not an object' });
    broadcastOnly.ws.send('not json');
    broadcastOnly.send({ type: 'nope', channel: ch });
    broadcastOnly.send({ type: 'presence_join', channel: ch });
    broadcastOnly.send({ type: 'broadcast', channel: ch, event: 'e' });
    await until(() => broadcastOnly.of('broadcast').length === 1 && presenceOnly.of('presence_join').length === 1, 'the valid frames took effect');
    assert.deepEqual(broadcastOnly.of('broadcast')[0]!.payload, null);
    assert.equal(presenceOnly.of('broadcast').length, 0, 'presence-only listeners get no broadcasts');
    assert.equal(broadcastOnly.of('presence_join').length, 0, 'broadcast-only listeners get no presence');
    assert.deepEqual(presenceOnly.of('presence_join')[0]!.meta, undefined);
    assert.equal(broadcastOnly.ws.readyState, WebSocket.OPEN);
    presenceOnly.close();
    broadcastOnly.close();
  });

  it('native clients on the same channel see the same publications and the seed members', async () => {
    const ch = room();
    const native = await TestClient.connect(wsOf(b));
    await native.request({ type: 'subscribe', channel: `seed002:${ch}`, presence: true });
    const player = new Seed002Playground(`${wsOf(a)}?user_id=dora`, ch, ['broadcast', 'presence']);
    await until(() => player.of('presence_sync').length === 1, 'sync');
    player.send({ type: 'presence_join', channel: ch, payload: { name: 'Dora' } });
    player.send({ type: 'broadcast', channel: ch, event: 'chat', payload: { text: 'hello native' } });
    const [m] = await native.waitForMessages(1);
    assert.deepEqual([m!.event, m!.data, m!.info?.user], ['chat', { text: 'hello native' }, 'dora']);
    await native.waitFor((f) => f.type === 'join' && f.info.user === 'dora');
    assert.equal((await native.request({ type: 'publish', channel: `seed002:${ch}`, event: 'note', data: [1] })).type, 'reply');
    await until(() => player.of('broadcast').length === 2, 'the native publish reaches the playground');
    assert.deepEqual([player.of('broadcast')[1]!.event, player.of('broadcast')[1]!.payload], ['note', [1]]);
    // The native member shows in seed syncs too (without metadata).
    const late = new Seed002Playground(`${wsOf(a)}?user_id=eve`, ch, ['presence']);
    await until(() => late.of('presence_sync').length === 1, 'sync');
    const users = (late.of('presence_sync')[0]!.users as Array<{ user_id: string; meta?: unknown }>).sort((x, y) => x.user_id.localeCompare(y.user_id));
    assert.equal(users.length, 2);
    assert.deepEqual(users.find((u) => u.user_id === 'dora')?.meta, { name: 'Dora' });
    // A native client joining or leaving shows as a join (no metadata) and a leave.
    const second = await TestClient.connect(wsOf(a));
    await second.subscribe(`seed002:${ch}`);
    const secondUser = (second.frames[0] as { client: string }).client;
    await until(() => player.of('presence_join').some((f) => f.user_id === secondUser), 'the native join');
    assert.deepEqual(Object.keys(player.of('presence_join').find((f) => f.user_id === secondUser)!).sort(), ['channel', 'ts', 'type', 'user_id']);
    assert.equal(player.of('presence_join').filter((f) => f.user_id === 'dora').length, 1, 'a seed member\'s join once, with its metadata');
    second.close();
    await until(() => player.of('presence_leave').some((f) => f.user_id === secondUser), 'the native leave');
    native.close();
    player.close();
    late.close();
  });
});

describe('seed 002 identification', () => {
  it('identifies with a JWT when client auth is on, refusing as the seed did', async () => {
    const secret = 'seed002-jwt-secret-0123456789';
    const node = await startServer({ auth: { jwt: { secrets: [secret] } }, compat: { seed002: { enabled: true } } });
    try {
      assert.deepEqual(await refusal(`${node.wsUrl}?user_id=x`), { status: 401, body: '{"error":"missing token"}' });
      const bad = await refusal(`${node.url.replace('http', 'ws')}/seed002/ws?token=abc`);
      assert.equal(bad.status, 401);
      assert.match(bad.body, /^\{"error":"invalid token: /);
      const token = await signJwt(secret, 'frank');
      const ch = room();
      const player = new Seed002Playground(`${node.url.replace('http', 'ws')}/seed002/ws?token=${token}`, ch, ['broadcast', 'presence']);
      await until(() => player.of('presence_sync').length === 1, 'sync');
      player.send({ type: 'presence_join', channel: ch, payload: { a: 1 } });
      await until(() => player.of('presence_join').length === 1, 'join');
      assert.equal(player.of('presence_join')[0]!.user_id, 'frank');
      player.close();
    } finally {
      await node.close();
    }
    const open = await startServer({ compat: { seed002: { enabled: true } } });
    try {
      assert.deepEqual(await refusal(`${open.url.replace('http', 'ws')}/seed002/ws`), { status: 400, body: '{"error":"missing user_id"}' });
      const event = await fetch(`${open.url}/api/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'room1', payload: 1 }) });
      assert.equal(event.status, 401, 'publisher credentials stay required unless open_event_api');
    } finally {
      await open.close();
    }
  });

  it("with open_event_api, the playground's cross-origin POST /api/event works without credentials", async () => {
    const node = await startServer({ server: { cors_origins: ['*'] }, compat: { seed002: { enabled: true, open_event_api: true } } });
    try {
      const ch = room();
      const player = new Seed002Playground(`${node.wsUrl}?user_id=demo`, ch, ['broadcast']);
      await player.opened;
      await sleep(50);
      const origin = 'http://localhost:3000';
      const preflight = await fetch(`${node.url}/api/event`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
      const res = await fetch(`${node.url}/api/event`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ channel: ch, event: 'playground', payload: { hello: 'world' } }) });
      assert.equal(res.status, 200);
      await until(() => player.of('broadcast').length === 1, 'the event reaches the playground');
      assert.deepEqual([player.of('broadcast')[0]!.event, player.of('broadcast')[0]!.payload], ['playground', { hello: 'world' }]);
      player.close();
    } finally {
      await node.close();
    }
  });
});
