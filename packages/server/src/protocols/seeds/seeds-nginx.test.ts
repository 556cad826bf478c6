/**
 * The three seeds' clients through deploy/nginx.conf in front of two Herald processes sharing
 * Redis, one of them killed like a crash: each client whose node died comes back the way the
 * seed's client does (the CLI and pages are started again; the notifications page's EventSource
 * reconnects by itself) and receives again; seed 002 members of the dead node leave after the TTL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_KEY, sleep } from '../../test/helpers.js';
import { heraldProcess, Nginx, nginxSiteConfig } from '../../test/nginx.js';
import { collected, Seed000Cli, seed000Post, Seed001Chat, Seed001Notifications, Seed002Playground } from '../../test/seed-clients.js';
import { deleteRedisKeys, freePort, REDIS_URL, uniquePrefix, until, type PrivateServer } from '../../test/services.js';

const JWT_SECRET = 'nginx-seed-jwt-secret-0123456789';
const TIME_SECRET = 'nginx-seed-time-secret-0123456789';
const CHAT = '742fc7fe-1527-4184-8945-10b30bf01347';
const NOTIFICATIONS = 'f71a6fb5-8962-48f4-a0dd-5cf60c42a70f';
const COMPAT = [
  'compat.seed000.enabled=true',
  'compat.seed001.enabled=true',
  `compat.seed001.channels=[{id: ${CHAT}, type: WS, max_of_channel_connections: 100}, {id: ${NOTIFICATIONS}, type: SSE, max_of_channel_connections: 100}]`,
  'compat.seed002.enabled=true',
  `auth.jwt.secrets=[${JWT_SECRET}]`,
  `auth.time_token.secrets=[${TIME_SECRET}]`,
  'auth.time_token.window_seconds=3600',
  // Seed 002 ignores client auth for user_id clients only when told: JWT is on for seed 000 here.
  'compat.seed002.identify=user_id',
  'presence.ttl_seconds=2',
  'presence.refresh_seconds=0.5',
].flatMap((s) => ['--set', s]);

describe('seed clients through nginx with two nodes, one killed', () => {
  const prefix = uniquePrefix();
  let ports: number[];
  let nodes: PrivateServer[];
  let nginx: Nginx;
  let base: string;
  before(async () => {
    ports = [await freePort(), await freePort()];
    nodes = ports.map((port, i) => heraldProcess(port, prefix, `node${i}`, COMPAT));
    await Promise.all(nodes.map((node) => node.restart()));
    const port = await freePort();
    nginx = await Nginx.start(nginxSiteConfig(ports, port), port);
    base = `127.0.0.1:${port}`;
  });
  after(async () => {
    await nginx.stop();
    await Promise.all(nodes.map((node) => node.kill()));
    await deleteRedisKeys(REDIS_URL, prefix);
  });

  /** Subscribers of `channel` on the node at `port` (its own count, not the cluster's). */
  async function localCount(port: number, channel: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${port}/api/channels`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const { channels } = (await res.json()) as { channels: Array<{ channel: string; subscribers: number }> };
    return channels.find((c) => c.channel === channel)?.subscribers ?? 0;
  }

  /**
   * Open clients of one kind through nginx until both nodes hold at least one (by the nodes' own
   * subscriber counts of `channel`), so the crash below hits every kind on one node and spares it on the other.
   */
  async function spread<T>(open: () => Promise<T>, channel: string): Promise<{ clients: T[]; onVictim: number }> {
    const clients: T[] = [];
    for (let i = 0; i < 8; i++) {
      clients.push(await open());
      const counts = await Promise.all(ports.map((port) => localCount(port, channel)));
      if (clients.length >= 2 && counts.every((c) => c >= 1) && counts[0]! + counts[1]! === clients.length) return { clients, onVictim: counts[0]! };
    }
    throw new Error(`nginx put every client of ${channel} on one node`);
  }

  it('every seed client whose node died reconnects as the seed client does and keeps receiving', async () => {
    const room = `room${Date.now()}`;
    const orders = `orders${Date.now()}`;
    const wsUrl = `ws://${base}/ws`;
    const http = `http://${base}`;
    let users = 0;
    const openPlayer = async (user = `user${users++}`) => {
      const player = new Seed002Playground(`${wsUrl}?user_id=${user}`, room, ['broadcast', 'presence']);
      assert.equal(await player.opened, true);
      await until(() => player.of('presence_sync').length === 1, 'sync');
      player.send({ type: 'presence_join', channel: room, payload: { user } });
      return player;
    };
    const openCli = (mode: 'auth' | 'public') => async () => {
      const cli = await Seed000Cli.start(wsUrl, mode, orders, JWT_SECRET);
      assert.equal(await cli.opened, true, cli.errors.join());
      return cli;
    };
    const openChat = async () => {
      const chat = new Seed001Chat(http, CHAT);
      assert.equal(await chat.connect(), true);
      return chat;
    };
    const openPage = async () => {
      const page = new Seed001Notifications(http, NOTIFICATIONS);
      await until(() => page.opens === 1, 'EventSource open');
      return page;
    };
    const players = await spread(() => openPlayer(), `seed002:${room}`);
    const auth = await spread(openCli('auth'), `seed000:${orders}`);
    const pub = await spread(openCli('public'), `seed000-public:${orders}`);
    const chats = await spread(openChat, `seed001:${CHAT}`);
    const pages = await spread(openPage, `seed001:${NOTIFICATIONS}`);
    const all = players.clients.length;
    for (const p of players.clients) await until(() => new Set([...p.of('presence_join'), ...(p.of('presence_sync')[0]!.users as object[])].map((f) => (f as { user_id: string }).user_id)).size === all, 'every member known');

    await nodes[0]!.kill();
    const closed = (ws: { readyState: number } | undefined) => ws?.readyState === 3;
    await until(
      () =>
        players.clients.filter((p) => closed(p.ws)).length === players.onVictim &&
        auth.clients.filter((c) => closed(c.ws)).length === auth.onVictim &&
        pub.clients.filter((c) => closed(c.ws)).length === pub.onVictim &&
        chats.clients.filter((c) => closed(c.ws)).length === chats.onVictim,
      'the dead node\'s sockets closed',
    );
    const dead = players.clients.filter((p) => closed(p.ws)).map((p) => players.clients.indexOf(p));
    const survivors = players.clients.filter((p) => !closed(p.ws));
    // Nobody removed their entries: they expire with the dead node's heartbeats (TTL 2 s) and leave.
    for (const s of survivors) await until(() => dead.every((i) => s.of('presence_leave').some((f) => f.user_id === `user${i}`)), 'the dead node\'s members leave', 15_000);

    // Back as each seed's client comes back: the CLI and the chat and playground pages are started
    // again the same way; the notifications page's EventSource reconnects by itself.
    const joinMarks = survivors.map((p) => p.of('presence_join').length);
    for (const i of dead) players.clients[i] = await openPlayer(`user${i}`);
    const restart = async <T extends { ws?: { readyState: number } }>(list: T[], open: () => Promise<T>) => {
      for (const [i, c] of list.entries()) if (closed(c.ws)) list[i] = await open();
    };
    await restart(auth.clients, openCli('auth'));
    await restart(pub.clients, openCli('public'));
    await restart(chats.clients, openChat);
    await until(() => pages.clients.filter((p) => p.opens === 2).length === pages.onVictim, 'EventSources of the dead node reconnected', 15_000);
    const resynced = players.clients[dead[0]!]!;
    assert.equal((resynced.of('presence_sync')[0]!.users as object[]).length, all - dead.length, 'the sync lists the living members');

    // The members that came back joined again, and the others saw it.
    for (const [k, s] of survivors.entries()) {
      await until(() => dead.every((i) => s.of('presence_join').slice(joinMarks[k]).some((f) => f.user_id === `user${i}`)), 'rejoins seen');
    }

    // Everything published now through nginx reaches every client.
    const marks = players.clients.map((p) => p.of('broadcast').length);
    players.clients[dead[0]!]!.send({ type: 'broadcast', channel: room, event: 'after', payload: { ok: true } });
    for (const [i, p] of players.clients.entries()) await until(() => p.of('broadcast').length > marks[i]!, `playground ${i} gets the broadcast`, 10_000);
    const cliMarks = [...auth.clients, ...pub.clients].map((c) => c.frames.length);
    assert.equal((await seed000Post(`${http}/update`, TIME_SECRET, 3600, { id: 'after-1', item: 'x', amount: 1 }, orders, 'private')).status, 202);
    assert.equal((await seed000Post(`${http}/publish`, TIME_SECRET, 3600, { id: 'after-2', item: 'y', amount: 2 }, orders, 'public')).status, 202);
    for (const [i, cli] of [...auth.clients, ...pub.clients].entries()) await collected(cli.frames, cliMarks[i]! + 1, `CLI ${i} frames`);
    await sleep(200);
    // Each audience got its own order and nothing else.
    assert.deepEqual(auth.clients.map((c, i) => c.rows.slice(cliMarks[i]!).map((r) => r[0])), auth.clients.map(() => ['after-1']));
    assert.deepEqual(pub.clients.map((c, i) => c.rows.slice(cliMarks[auth.clients.length + i]!).map((r) => r[0])), pub.clients.map(() => ['after-2']));
    const chatMarks = chats.clients.map((c) => c.received.length);
    chats.clients[0]!.say('after the crash');
    for (const [i, chat] of chats.clients.entries()) {
      if (i === 0) continue;
      await collected(chat.received, chatMarks[i]! + 1, 'chat line');
      assert.equal(chat.received.at(-1)!.payload, 'after the crash');
    }
    const res = await fetch(`${http}/api/v1/channels/${NOTIFICATIONS}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payload: 'after' }) });
    assert.equal(res.status, 200);
    for (const page of pages.clients) await until(() => page.received.some((m) => m.payload === 'after'), 'notification after the crash');
    for (const c of [...players.clients, ...auth.clients, ...pub.clients, ...chats.clients, ...pages.clients]) c.close();
  });
});
