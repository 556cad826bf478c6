/**
 * The Pusher protocol on two Herald nodes (Redis engine, real processes) behind deploy/nginx.conf
 * (real nginx): pusher-js clients on WebSocket, xhr_streaming and xhr_polling through the proxy,
 * on both nodes, see every trigger once and the same presence; when one node is killed with
 * SIGKILL (its clients vanish with it), the users it alone held are removed once, cluster-wide,
 * and new fallback sessions land on the node that is left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Pusher from 'pusher';
import type { Channel } from 'pusher-js';
import { sleep, waitUntil } from './helpers.js';
import { heraldProcess, Nginx, nginxSiteConfig } from './nginx.js';
import { connected, newApp, pusherClient, record, serverSdk, subscribed, type ClientOptions, type PusherJs, type TestApp } from './pusher.js';
import { deleteRedisKeys, freePort, REDIS_URL, uniquePrefix, type PrivateServer } from './services.js';

interface Member {
  user: string;
  client: PusherJs;
  /** Index of the node nginx sent it to. */
  node: number;
  channel: Channel;
  events: unknown[];
  removed: Array<{ id: string }>;
}

describe('Pusher protocol: two nodes behind deploy/nginx.conf', () => {
  const prefix = uniquePrefix();
  const app: TestApp = newApp();
  const room = `presence-room-${prefix}`;
  const news = `news-${prefix}`;
  let ports: number[];
  let nodes: PrivateServer[];
  let nginx: Nginx;
  let base: string;
  let sdk: Pusher;
  const members: Member[] = [];

  before(async () => {
    ports = [await freePort(), await freePort()];
    const appYaml = `[{id: "${app.id}", key: "${app.key}", secret: "${app.secret}"}]`;
    // A short presence TTL: a dead node's members expire within ~2 s.
    const extra = ['--set', `pusher.apps=${appYaml}`, '--set', 'presence.ttl_seconds=2', '--set', 'presence.refresh_seconds=0.3'];
    nodes = ports.map((port, i) => heraldProcess(port, prefix, `pn${i}`, extra));
    await Promise.all(nodes.map((n) => n.restart()));
    const port = await freePort();
    nginx = await Nginx.start(nginxSiteConfig(ports, port), port);
    base = `http://127.0.0.1:${port}`;
    sdk = serverSdk(app, base);
  });
  after(async () => {
    for (const m of members) m.client.disconnect();
    await nginx?.stop();
    await Promise.all((nodes ?? []).map((n) => n.kill()));
    await deleteRedisKeys(REDIS_URL, prefix);
  });

  /** Pusher connections open on each node, from its own metrics. */
  const perNode = () =>
    Promise.all(
      ports.map(async (port) => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(/herald_connections\{transport="pusher"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );

  /** Connect one client through nginx, wait until it is in the room, and tell which node took it. */
  async function join(user: string, transport: NonNullable<ClientOptions['transports']>[number]): Promise<Member> {
    const before = await perNode();
    const client = pusherClient(app, base, sdk, { user: { id: user }, transports: [transport] });
    await connected(client, 10_000);
    const now = await waitUntil(async () => {
      const counts = await perNode();
      return counts.reduce((a, b) => a + b) === before.reduce((a, b) => a + b) + 1 && counts;
    }, 5000, () => 'the new connection in the metrics');
    const node = now.findIndex((n, i) => n > before[i]!);
    const channel = await subscribed(client, room, 10_000);
    const pub = await subscribed(client, news, 10_000);
    const member: Member = { user, client, node, channel, events: record(pub, 'tick'), removed: record(channel, 'pusher:member_removed') };
    members.push(member);
    return member;
  }

  it('spreads pusher-js clients over both nodes; each sees every trigger once and the same presence', async () => {
    for (const [user, transport] of [['ws-a', 'ws'], ['ws-b', 'ws'], ['stream', 'xhr_streaming'], ['poll', 'xhr_polling'], ['ws-c', 'ws'], ['ws-d', 'ws']] as const) await join(user, transport);
    // One user with a tab on each node: it must survive the loss of either.
    for (let i = 0; i < 6 && new Set(members.filter((m) => m.user === 'both').map((m) => m.node)).size < 2; i++) await join('both', 'ws');
    const byNode = [0, 1].map((n) => members.filter((m) => m.node === n).length);
    assert.ok(byNode.every((n) => n >= 2), `clients on both nodes: ${byNode}`);
    assert.equal(new Set(members.filter((m) => m.user === 'both').map((m) => m.node)).size, 2, 'user "both" has a tab on each node');

    // Triggers through nginx land on either node; every client gets each exactly once, in order.
    const count = 20;
    for (let i = 1; i <= count; i++) await sdk.trigger(news, 'tick', { i });
    await waitUntil(() => members.every((m) => m.events.length >= count) || undefined, 10_000, () => `all ${count} ticks: ${members.map((m) => m.events.length)}`);
    await sleep(300);
    for (const m of members) assert.deepEqual(m.events, Array.from({ length: count }, (_, i) => ({ i: i + 1 })), `${m.user} on node ${m.node}`);

    // The same members on both nodes, asked directly, and in every client's view.
    const users = [...new Set(members.map((m) => m.user))].sort();
    for (const port of ports) {
      const res = await serverSdk(app, `http://127.0.0.1:${port}`).get({ path: `/channels/${room}/users` });
      assert.deepEqual(((await res.json()) as { users: Array<{ id: string }> }).users.map((u) => u.id).sort(), users, `members at node port ${port}`);
    }
    for (const m of members) {
      const seen = Object.keys((m.channel as unknown as { members: { members: Record<string, unknown> } }).members.members).sort();
      assert.deepEqual(seen, users, `${m.user}'s members`);
    }
  });

  it('kill -9 of a node: the users only it held are removed once, everywhere; the others stay', async () => {
    const victim = 0;
    const gone = members.filter((m) => m.node === victim);
    const staying = members.filter((m) => m.node !== victim);
    const lost = [...new Set(gone.map((m) => m.user))].filter((u) => !staying.some((m) => m.user === u)).sort();
    assert.ok(lost.length >= 1 && lost.length < new Set(members.map((m) => m.user)).size);
    for (const m of staying) m.removed.length = 0;

    // The SIGKILL is sent before kill() first awaits; the node's clients then vanish with it (no reconnect elsewhere).
    const killing = nodes[victim]!.kill();
    for (const m of gone) m.client.disconnect();
    await killing;

    await waitUntil(() => staying.every((m) => m.removed.length >= lost.length) || undefined, 15_000, () => `member_removed of ${lost}: ${staying.map((m) => JSON.stringify(m.removed))}`);
    // Well past the TTL and sweep: nothing more may come.
    await sleep(2500);
    for (const m of staying) assert.deepEqual(m.removed.map((r) => r.id).sort(), lost, `${m.user} got each removal once`);
    const res = await serverSdk(app, `http://127.0.0.1:${ports[1 - victim]}`).get({ path: `/channels/${room}/users` });
    assert.deepEqual(
      ((await res.json()) as { users: Array<{ id: string }> }).users.map((u) => u.id).sort(),
      [...new Set(staying.map((m) => m.user))].sort(),
    );
    // New HTTP-fallback sessions whose hash names the dead node go to the live one (nginx's next upstream).
    const late = (['xhr_streaming', 'xhr_polling', 'xhr_streaming', 'xhr_polling'] as const).map((t) => pusherClient(app, base, sdk, { transports: [t] }));
    try {
      await Promise.all(late.map((c) => connected(c, 10_000)));
      const lateEvents = await Promise.all(late.map(async (c) => record(await subscribed(c, news, 10_000), 'tick')));
      // Clients on the surviving node still get triggers made through nginx.
      await sdk.trigger(news, 'tick', { i: 'after' });
      const got = (events: unknown[]) => events.some((e) => (e as { i: unknown }).i === 'after');
      await waitUntil(() => (staying.every((m) => got(m.events)) && lateEvents.every(got)) || undefined, 5000, () => 'trigger after the crash');
    } finally {
      for (const c of late) c.disconnect();
    }
  });
});
