import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody, PresenceEventFrame, PresenceMember, ServerFrame } from '@herald/protocol';
import { api, signJwt, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { closeSseClients, SseClient } from '../test/http-subscribers.js';
import { startNodes } from '../test/multi-node.js';
import { deleteNatsStreams, deleteRedisKeys, NATS_SERVERS, REDIS_URL, uniquePrefix } from '../test/services.js';
import { receiver } from '../test/webhook-receiver.js';

const JWT_SECRET = 'presence-update-jwt-0123456789abcd';
const HOOK_SECRET = 'presence-update-webhook-0123';
type Reply = ServerFrame & { type: 'reply'; error?: ErrorBody };

const updates = (c: TestClient, channel: string) => c.frames.filter((f): f is PresenceEventFrame => f.type === 'update' && f.channel === channel);
const membersOf = async (node: TestServer, channel: string) => (await api(node, `/api/channels/${encodeURIComponent(channel)}/presence`)).json.members as PresenceMember[];

function presenceUpdateSuite(name: string, engine: () => Record<string, unknown>, cleanup: () => Promise<void>): void {
  describe(`presence that carries state, two nodes on ${name}`, () => {
    let a: TestServer, b: TestServer;
    let hook: Awaited<ReturnType<typeof receiver>>;
    const open: TestClient[] = [];
    let n = 0;
    const room = () => `room:pu${Date.now()}_${n++}`;
    const connect = async (node: TestServer, user: string, claims: Record<string, unknown> = {}) => {
      const c = await TestClient.connect(`${node.wsUrl}?token=${await signJwt(JWT_SECRET, user, claims)}`);
      open.push(c);
      return c;
    };

    before(async () => {
      hook = await receiver();
      [a, b] = (await startNodes(2, engine(), {
        auth: { jwt: { secrets: [JWT_SECRET] } },
        namespaces: { default: {}, room: { presence: true } },
        presence: { update_per_second: 5, max_info_bytes: 256 },
        webhooks: [{ url: hook.url, secret: HOOK_SECRET, events: ['presence.join', 'presence.update'], retry_base_ms: 20 }],
      })) as [TestServer, TestServer];
    });
    after(async () => {
      for (const c of open) c.close();
      closeSseClients();
      await Promise.all([a.close(), b.close()]);
      await hook.close();
      await cleanup();
    });

    it('a typing status set on node A reaches watchers on node B (WebSocket and SSE) and shows in the presence API of both', async () => {
      const ch = room();
      const watcher = await connect(b, 'watcher');
      await watcher.request({ type: 'subscribe', channel: ch, presence: true });
      const sse = new SseClient(`${b.url}/sse?channel=${encodeURIComponent(ch)}&presence=${encodeURIComponent(ch)}&token=${await signJwt(JWT_SECRET, 'sse-watcher')}`, ['join', 'leave', 'update', 'presence']);
      await waitUntil(() => sse.subscribed().length === 1, 5000, () => 'SSE subscribed');
      // The token's `info` claim is the member's info from the join on.
      const alice = await connect(a, 'alice', { info: { name: 'Alice' } });
      await alice.subscribe(ch);
      const join = (await watcher.waitFor((f) => f.type === 'join' && f.channel === ch && f.info.user === 'alice')) as PresenceEventFrame;
      assert.deepEqual(join.info.info, { name: 'Alice' });

      const reply = (await alice.request({ type: 'presence_update', channel: ch, info: { name: 'Alice', status: 'typing' } })) as Reply;
      assert.equal(reply.error, undefined);
      const update = (await watcher.waitFor((f) => f.type === 'update' && f.channel === ch)) as PresenceEventFrame;
      assert.deepEqual(update.info, { user: 'alice', client: (alice.frames[0] as { client: string }).client, info: { name: 'Alice', status: 'typing' } });
      const sseUpdate = await waitUntil(() => sse.events.find((e) => e.type === 'update'), 5000, () => 'SSE update event');
      assert.deepEqual(sseUpdate.data.info, update.info);
      for (const node of [a, b]) {
        const members = await membersOf(node, ch);
        assert.deepEqual(members.find((m) => m.user === 'alice')?.info, { name: 'Alice', status: 'typing' }, `presence API on ${node.url}`);
      }
      const hooked = await waitUntil(() => hook.received.find((r) => r.json.type === 'presence.update' && r.json.channel === ch), 5000, () => 'presence.update webhook');
      assert.deepEqual((hooked.json.info as { info?: unknown }).info, { name: 'Alice', status: 'typing' });
    });

    it('several tabs of one user stay one member whose info is the one set last, whichever tab set it', async () => {
      const ch = room();
      const tab1 = await connect(a, 'bob', { info: { name: 'Bob' } });
      const tab2 = await connect(b, 'bob', { info: { name: 'Bob' } });
      await tab1.subscribe(ch);
      await tab2.subscribe(ch);
      await tab1.request({ type: 'presence_update', channel: ch, info: { name: 'Bob', status: 'typing' } });
      await tab2.request({ type: 'presence_update', channel: ch, info: { name: 'Bob', status: 'idle' } });
      for (const node of [a, b]) {
        const members = await membersOf(node, ch);
        assert.equal(members.length, 1);
        assert.equal(members[0]!.clients.length, 2);
        assert.deepEqual(members[0]!.info, { name: 'Bob', status: 'idle' });
      }
    });

    it('a burst of updates is rate-limited with rate_limited replies, and the connection stays open; oversized info is refused', async () => {
      const ch = room();
      const watcher = await connect(b, 'watcher2');
      await watcher.request({ type: 'subscribe', channel: ch, presence: true });
      const carol = await connect(a, 'carol');
      await carol.subscribe(ch);
      const replies = (await Promise.all(Array.from({ length: 20 }, (_, i) => carol.request({ type: 'presence_update', channel: ch, info: { typing: i } })))) as Reply[];
      const accepted = replies.filter((r) => r.error === undefined).length;
      const limited = replies.filter((r) => r.error?.code === 'rate_limited').length;
      assert.ok(accepted >= 1 && accepted <= 6, `accepted ${accepted}`);
      assert.equal(accepted + limited, 20);
      await waitUntil(() => updates(watcher, ch).length >= accepted && true, 5000, () => `${accepted} updates`);
      const big = (await carol.request({ type: 'presence_update', channel: ch, info: { blob: 'x'.repeat(300) } })) as Reply;
      assert.equal(big.error?.code, 'payload_too_large');
      const notMember = (await carol.request({ type: 'presence_update', channel: room(), info: {} })) as Reply;
      assert.equal(notMember.error?.code, 'not_subscribed');
      carol.send({ type: 'ping', id: 7 });
      await carol.waitFor((f) => f.type === 'pong' && f.id === 7);
      assert.equal(carol.ws.readyState, carol.ws.OPEN);
    });
  });
}

const redisPrefix = uniquePrefix();
presenceUpdateSuite('redis', () => ({ type: 'redis', prefix: redisPrefix, redis: { url: REDIS_URL } }), () => deleteRedisKeys(REDIS_URL, redisPrefix));
const natsPrefix = uniquePrefix();
presenceUpdateSuite('nats', () => ({ type: 'nats', prefix: natsPrefix, nats: { servers: NATS_SERVERS, storage: 'memory' } }), () => deleteNatsStreams(natsPrefix));

describe('presence that carries state on the memory engine', () => {
  it('an update reaches a watcher and the presence API of the single node', async () => {
    const [node] = (await startNodes(1, { type: 'memory' }, { auth: { jwt: { secrets: [JWT_SECRET] } }, namespaces: { default: {}, room: { presence: true } } })) as [TestServer];
    const ch = `room:mem${Date.now()}`;
    const watcher = await TestClient.connect(`${node.wsUrl}?token=${await signJwt(JWT_SECRET, 'w')}`);
    const dana = await TestClient.connect(`${node.wsUrl}?token=${await signJwt(JWT_SECRET, 'dana')}`);
    try {
      await watcher.request({ type: 'subscribe', channel: ch, presence: true });
      await dana.subscribe(ch);
      await dana.request({ type: 'presence_update', channel: ch, info: { status: 'away' } });
      const update = (await watcher.waitFor((f) => f.type === 'update' && f.channel === ch)) as PresenceEventFrame;
      assert.deepEqual(update.info.info, { status: 'away' });
      assert.deepEqual((await membersOf(node, ch)).find((m) => m.user === 'dana')?.info, { status: 'away' });
    } finally {
      watcher.close();
      dana.close();
      await node.close();
    }
  });
});
