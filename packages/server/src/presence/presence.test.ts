/**
 * Presence over real sockets: member lists, join/leave order, multi-tab users, TTL expiry of a
 * connection whose node stopped refreshing it, and the presence permission.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, type PresenceEventFrame, type PresenceFrame, type PresenceResult, type ServerFrame } from '@herald/protocol';
import { api, signJwt, sleep, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';

const SECRET = 'presence-jwt-secret-0123456789abcdef';
const token = (sub: string, herald?: Record<string, string[]>) => signJwt(SECRET, sub, herald ? { herald } : {});

const events = (c: TestClient, channel: string) =>
  c.frames.filter((f): f is PresenceEventFrame => (f.type === 'join' || f.type === 'leave') && f.channel === channel).map((f) => `${f.type}:${f.info.user}`);

async function connect(server: TestServer, user: string, herald?: Record<string, string[]>): Promise<TestClient> {
  return TestClient.connect(`${server.wsUrl}?token=${await token(user, herald)}`);
}

describe('presence', () => {
  let server: TestServer;
  const open: TestClient[] = [];
  const client = async (user: string, herald?: Record<string, string[]>) => {
    const c = await connect(server, user, herald);
    open.push(c);
    return c;
  };

  before(async () => {
    server = await startServer({
      auth: { jwt: { secrets: [SECRET] } },
      presence: { ttl_seconds: 0.5, refresh_seconds: 0.1 },
      namespaces: { room: { presence: true }, news: {}, secret: { presence: true, private: true } },
    });
  });
  after(async () => {
    for (const c of open) c.close();
    await server.close();
  });

  it('sends the member list after the reply and join/leave in order to subscribers that ask', async () => {
    const alice = await client('alice');
    const reply = await alice.request({ type: 'subscribe', channel: 'room:1', presence: true });
    assert.ok('ok' in reply);
    const first = (await alice.waitFor((f) => f.type === 'presence')) as PresenceFrame;
    assert.ok(alice.frames.indexOf(reply) < alice.frames.indexOf(first), 'reply precedes the presence frame');
    assert.deepEqual(first.members.map((m) => m.user), ['alice']);

    const bob = await client('bob');
    await bob.subscribe('room:1');
    const carol = await client('carol');
    await carol.subscribe('room:1');
    bob.close();
    await waitUntil(() => events(alice, 'room:1').includes('leave:bob'), 3000, () => JSON.stringify(events(alice, 'room:1')));
    assert.deepEqual(events(alice, 'room:1'), ['join:alice', 'join:bob', 'join:carol', 'leave:bob']);
    const join = alice.frames.find((f) => f.type === 'join' && f.info.user === 'carol') as PresenceEventFrame;
    assert.equal(join.info.client?.startsWith('c_'), true);

    // Subscribers that did not ask get no presence frames; publications are unaffected.
    assert.deepEqual(events(carol, 'room:1'), []);

    const listed = await carol.request({ type: 'presence', channel: 'room:1' });
    assert.ok('ok' in listed);
    assert.deepEqual((listed.result as PresenceResult).members.map((m) => m.user).sort(), ['alice', 'carol']);

    const http = await api(server, '/api/channels/room:1/presence');
    assert.equal(http.status, 200);
    assert.deepEqual((http.json as unknown as PresenceResult).members.map((m) => m.user).sort(), ['alice', 'carol']);

    await carol.request({ type: 'unsubscribe', channel: 'room:1' });
    await waitUntil(() => events(alice, 'room:1').includes('leave:carol'), 3000, () => JSON.stringify(events(alice, 'room:1')));
  });

  it('counts a user with several connections once: joins with the first, leaves with the last', async () => {
    const watcher = await client('watcher');
    await watcher.request({ type: 'subscribe', channel: 'room:tabs', presence: true });
    const tab1 = await client('dana');
    await tab1.subscribe('room:tabs');
    const tab2 = await client('dana');
    await tab2.subscribe('room:tabs');
    const members = await api(server, '/api/channels/room:tabs/presence');
    const dana = (members.json as unknown as PresenceResult).members.find((m) => m.user === 'dana');
    assert.equal(dana?.clients.length, 2);

    tab1.close();
    await waitUntil(async () => {
      const r = await api(server, '/api/channels/room:tabs/presence');
      return (r.json as unknown as PresenceResult).members.find((m) => m.user === 'dana')?.clients.length === 1;
    }, 3000, () => 'first tab to go');
    await sleep(100);
    assert.deepEqual(events(watcher, 'room:tabs'), ['join:watcher', 'join:dana']);
    tab2.close();
    await waitUntil(() => events(watcher, 'room:tabs').includes('leave:dana'), 3000, () => JSON.stringify(events(watcher, 'room:tabs')));
    assert.deepEqual(events(watcher, 'room:tabs'), ['join:watcher', 'join:dana', 'leave:dana']);
  });

  it('expires a member whose entry is no longer refreshed (a node that died) and announces its leave', async () => {
    const watcher = await client('watcher2');
    await watcher.request({ type: 'subscribe', channel: 'room:ttl', presence: true });
    const ghost = await client('ghost');
    await ghost.subscribe('room:ttl');
    const ghostId = (ghost.frames.find((f) => f.type === 'connected') as ServerFrame & { client: string }).client;
    // Longer than the TTL: refreshes keep a live member in.
    await sleep(700);
    assert.deepEqual(events(watcher, 'room:ttl'), ['join:watcher2', 'join:ghost']);
    server.herald.presence.freeze(ghostId);
    await waitUntil(() => events(watcher, 'room:ttl').includes('leave:ghost'), 3000, () => JSON.stringify(events(watcher, 'room:ttl')));
    const left = await api(server, '/api/channels/room:ttl/presence');
    assert.deepEqual((left.json as unknown as PresenceResult).members.map((m) => m.user), ['watcher2']);
    // Its eventual close finds nothing to remove and announces nothing twice.
    ghost.close();
    await sleep(150);
    assert.deepEqual(events(watcher, 'room:ttl'), ['join:watcher2', 'join:ghost', 'leave:ghost']);
  });

  it('gates seeing presence with the token presence permission, and refuses it outside presence namespaces', async () => {
    const limited = await client('eve', { subscribe: ['room:*'], presence: ['room:lobby'] });
    const denied = await limited.request({ type: 'subscribe', channel: 'room:other', presence: true });
    assert.equal('error' in denied && denied.error.code, ErrorCode.Forbidden);
    const asked = await limited.request({ type: 'presence', channel: 'room:other' });
    assert.equal('error' in asked && asked.error.code, ErrorCode.Forbidden);
    // Still a member (it may subscribe), just not allowed to see the others.
    await limited.subscribe('room:other');
    const allowed = await limited.request({ type: 'subscribe', channel: 'room:lobby', presence: true });
    assert.ok('ok' in allowed);
    await limited.waitFor((f) => f.type === 'presence' && f.channel === 'room:lobby');

    const plain = await client('frank');
    const noPresence = await plain.request({ type: 'presence', channel: 'news:1' });
    assert.equal('error' in noPresence && noPresence.error.code, ErrorCode.BadRequest);
    const privateAsk = await plain.request({ type: 'presence', channel: 'secret:1' });
    assert.equal('error' in privateAsk && privateAsk.error.code, ErrorCode.Forbidden);
    assert.equal((await api(server, '/api/channels/news:1/presence')).status, 400);
  });

  it('keeps join/leave out of history and offsets', async () => {
    const a = await client('gina');
    await a.request({ type: 'subscribe', channel: 'room:hist', presence: true });
    const b = await client('hank');
    await b.subscribe('room:hist');
    b.close();
    await waitUntil(() => events(a, 'room:hist').includes('leave:hank'), 3000, () => 'leave');
    const history = await api(server, '/api/channels/room:hist/history');
    assert.deepEqual(history.json.publications, []);
    assert.equal(history.json.offset, 0);
  });
});
