/**
 * Seed 001's own pages against a real node reading the seed's own YAML file (CONFIG_FOLDER_PATH):
 * the chat page's probe-then-connect works (the seed answered its own page 409), chat lines reach
 * the other chat clients but never the sender nor the notifications page, the notifications page's
 * EventSource gets server messages, and native clients share the channels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { loadConfig } from '../../config/load.js';
import { createHerald, type Herald } from '../../server.js';
import { API_KEY, sleep, startServer, TestClient, type TestServer } from '../../test/helpers.js';
import { collected, Seed001Chat, Seed001Notifications } from '../../test/seed-clients.js';
import { deleteRedisKeys, REDIS_URL, uniquePrefix, until } from '../../test/services.js';
import { startNodes } from '../../test/multi-node.js';

const CHAT = '742fc7fe-1527-4184-8945-10b30bf01347';
const NOTIFICATIONS = 'f71a6fb5-8962-48f4-a0dd-5cf60c42a70f';
const YAML = `server:
  allow_create_new_channels: true
  allow_push_server_messages: true
  allow_all_origins: true
  render_chat_html: true
  render_notifications_html: true
pubsub:
  driver: "MEMORY"
channels:
  my-chat-example:
    id: "${CHAT}"
    type: "WS"
    max_of_channel_connections: 100
  my-notification-example:
    id: "${NOTIFICATIONS}"
    type: "SSE"
    max_of_channel_connections: 2
`;

describe('seed 001 compatibility', () => {
  let herald: Herald;
  let base: string;
  let dir: string;
  const json = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-seed001-'));
    writeFileSync(join(dir, 'config.yaml'), YAML);
    const env = { CONFIG_FOLDER_PATH: join(dir, 'config.yaml'), HERALD_COMPAT__SEED001__ENABLED: 'true', HERALD_API_KEYS: API_KEY };
    herald = createHerald(loadConfig({ object: { server: { host: '127.0.0.1', port: 0 }, log: { level: 'silent' } }, env }), { logger: pino({ level: 'silent' }) });
    const { port } = await herald.start();
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await herald.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chat page: the upgrade=0 probe reserves nothing, and lines reach the others but not the sender', async () => {
    const alice = new Seed001Chat(base, CHAT);
    const bob = new Seed001Chat(base, CHAT);
    assert.equal(await alice.connect(), true, JSON.stringify(alice.probe));
    assert.equal(await bob.connect(), true);
    assert.deepEqual(alice.probe, { status: 200, body: { message: 'OK' } });
    const probe = await fetch(`${base}/api/v1/channels/${CHAT}?clientId=x&upgrade=0`);
    assert.equal(await probe.text(), '{\n    "message": "OK"\n}', 'pretty-printed as the seed did');
    alice.say('hello <b>bob</b>');
    bob.say('hi alice');
    await collected(bob.received, 1, 'chat frames');
    await collected(alice.received, 1, 'chat frames');
    await sleep(50);
    assert.equal(bob.received.length, 1, 'the sender never gets its own line');
    const [line] = bob.received;
    assert.deepEqual(Object.keys(line!), ['id', 'channelId', 'clientId', 'payload', 'createdAt']);
    assert.equal(line!.payload, 'hello <b>bob</b>');
    assert.equal(line!.clientId, alice.clientId);
    assert.equal(line!.channelId, CHAT);
    assert.match(line!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(alice.received[0]!.payload, 'hi alice');
    // The same clientId while its socket lives is the seed's 409; once it is gone, it is free again.
    const again = await fetch(`${base}/api/v1/channels/${CHAT}?clientId=${alice.clientId}&upgrade=0`);
    assert.equal(again.status, 409);
    assert.deepEqual(await again.json(), { message: `client ${alice.clientId} is already connected on channel, please disconnect it before connect it again` });
    alice.close();
    await until(async () => (await fetch(`${base}/api/v1/channels/${CHAT}?clientId=${alice.clientId}&upgrade=0`)).status === 200, 'client id freed');
    bob.close();
  });

  it('notifications page: its EventSource gets server messages and never chat lines', async () => {
    const page = new Seed001Notifications(base, NOTIFICATIONS);
    await until(() => page.opens === 1, 'EventSource open');
    const chat = new Seed001Chat(base, CHAT);
    const other = new Seed001Chat(base, CHAT);
    await chat.connect();
    await other.connect();
    chat.say('chat line');
    await collected(other.received, 1, 'chat frames');
    const res = await json(`/api/v1/channels/${NOTIFICATIONS}/messages`, { payload: 'Build #42 passed' });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { message: string };
    await collected(page.received, 1, 'notifications');
    await sleep(50);
    assert.equal(page.received.length, 1, 'chat lines stay on the chat channel');
    const [note] = page.received;
    assert.equal(note!.payload, 'Build #42 passed');
    assert.equal(note!.clientId, 'server-message');
    assert.equal(note!.channelId, NOTIFICATIONS);
    assert.equal(answer.message, `message ${note!.id} has been sent to all clients`);
    page.close();
    chat.close();
    other.close();
  });

  it('answers the seed API in its own words', async () => {
    assert.deepEqual(await (await fetch(`${base}/api/v1/channels/nope?clientId=a`)).json(), { message: 'Channel not found' });
    assert.equal((await json('/api/v1/channels/nope/messages', { payload: 'x' })).status, 404);
    const badBody = await json(`/api/v1/channels/${CHAT}/messages`, { payload: 3 });
    assert.deepEqual([badBody.status, await badBody.json()], [400, { message: 'invalid body schema' }]);
    assert.equal((await json(`/api/v1/channels/${CHAT}/messages`, '{nope')).status, 400);
    const created = await json('/api/v1/channels', { id: 'room-7', type: 'WS', maxOfChannelConnections: 1 });
    assert.deepEqual([created.status, await created.json()], [200, { id: 'room-7', config: { maxOfChannelConnections: 1 }, type: 'WS' }]);
    assert.equal((await json('/api/v1/channels', { id: 'room-8', type: 'TCP', maxOfChannelConnections: 1 })).status, 400);
    const first = new Seed001Chat(base, 'room-7');
    assert.equal(await first.connect(), true);
    const second = new Seed001Chat(base, 'room-7');
    assert.equal(await second.connect(), false);
    assert.deepEqual(second.probe, { status: 422, body: { message: 'maximum connection limit for this channel room-7 has been established' } });
    first.close();
  });

  it('bad input gets an answer or a close code, and the node keeps serving', async () => {
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${base.slice(7)}/api/v1/channels/%ZZ?clientId=a`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    assert.equal(refused, 404);
    assert.equal((await fetch(`${base}/api/v1/channels/%ZZ?clientId=a`)).status, 400);
    assert.equal((await json('/api/v1/channels', '['.repeat(5000) + ']'.repeat(5000))).status, 400);
    const chat = new Seed001Chat(base, CHAT);
    await chat.connect();
    const closed = new Promise<number>((resolve) => chat.ws!.on('close', (code) => resolve(code)));
    chat.ws!.send(Buffer.from([1, 2, 3]), { binary: true });
    chat.ws!.send('x'.repeat(70_000));
    assert.equal(await closed, 1009);
    const other = new Seed001Chat(base, CHAT);
    assert.equal(await other.connect(), true);
    other.close();
  });

  it('native clients share the channels: they see chat lines, and what they publish reaches the pages', async () => {
    const native = await TestClient.connect(`ws://${base.slice(7)}/ws`);
    await native.subscribe(`seed001:${CHAT}`);
    const chat = new Seed001Chat(base, CHAT);
    await chat.connect();
    const page = new Seed001Notifications(base, NOTIFICATIONS);
    await until(() => page.opens === 1, 'EventSource open');
    chat.say('to everyone');
    const [m] = await native.waitForMessages(1);
    assert.equal(m!.data, 'to everyone');
    assert.equal(m!.info?.user, chat.clientId);
    for (const channel of [`seed001:${CHAT}`, `seed001:${NOTIFICATIONS}`]) {
      const res = await fetch(`${base}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel, data: 'from the backend' }) });
      assert.equal(res.status, 200);
    }
    await collected(chat.received, 1, 'chat frames');
    await collected(page.received, 1, 'notifications');
    assert.deepEqual([chat.received[0]!.payload, chat.received[0]!.clientId], ['from the backend', 'server-message']);
    assert.deepEqual([page.received[0]!.payload, page.received[0]!.clientId], ['from the backend', 'server-message']);
    native.close();
    chat.close();
    page.close();
  });
});

describe('seed 001 without its engine', () => {
  it('a node starts before its engine answers, and YAML channels answer meanwhile', async () => {
    const node = await startServer({ engine: { type: 'redis', prefix: uniquePrefix(), timeout_seconds: 0.5, redis: { url: 'redis://127.0.0.1:1' } }, compat: { seed001: { enabled: true, channels: [{ id: CHAT, type: 'WS' }] } } });
    try {
      assert.equal((await fetch(`${node.url}/api/v1/channels/${CHAT}?clientId=a&upgrade=0`)).status, 200);
      const created = await fetch(`${node.url}/api/v1/channels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', type: 'SSE', maxOfChannelConnections: 1 }) });
      assert.deepEqual([created.status, await created.json()], [500, { message: 'Internal server error' }]);
      assert.equal((await fetch(`${node.url}/api/v1/channels/x?clientId=a&upgrade=0`)).status, 404, 'not created when it could not be shared');
    } finally {
      await node.close();
    }
  });
});

describe('seed 001 channels created on one node, used on others (Redis)', () => {
  const prefix = uniquePrefix();
  const nodes: TestServer[] = [];
  const extra = { compat: { seed001: { enabled: true } } };
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await deleteRedisKeys(REDIS_URL, prefix);
  });

  it('a created channel is known to every node, also to one started later, and chat crosses nodes', async () => {
    const engine = { type: 'redis', prefix, redis: { url: REDIS_URL } };
    nodes.push(...(await startNodes(2, engine, extra)));
    const [a, b] = nodes as [TestServer, TestServer];
    const id = `room-${Date.now()}`;
    const created = await fetch(`${a.url}/api/v1/channels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, type: 'WS', maxOfChannelConnections: 10 }) });
    assert.equal(created.status, 200);
    await until(async () => (await fetch(`${b.url}/api/v1/channels/${id}?clientId=x&upgrade=0`)).status === 200, 'the other node knows the channel');
    nodes.push(...(await startNodes(1, engine, extra)));
    assert.equal((await fetch(`${nodes[2]!.url}/api/v1/channels/${id}?clientId=x&upgrade=0`)).status, 200, 'read from the engine at start');
    const onA = new Seed001Chat(a.url, id);
    const onC = new Seed001Chat(nodes[2]!.url, id);
    assert.equal(await onA.connect(), true);
    assert.equal(await onC.connect(), true);
    // A seed 001 socket is open before its node has subscribed the channel in the engine (the seed
    // protocol has no acknowledgement), so a line said at once may precede that: say it until C hears it.
    await until(() => {
      onA.say('across nodes');
      return onC.received.length > 0;
    }, 'a chat line crosses nodes');
    assert.deepEqual([onC.received[0]!.payload, onC.received[0]!.clientId], ['across nodes', onA.clientId]);
    onA.close();
    onC.close();
  });
});
