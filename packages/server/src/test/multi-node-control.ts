/**
 * @module test/multi-node-control
 * The control API across three nodes sharing one engine, run by each shared engine's node test
 * file: a user with connections on every node is disconnected, subscribed, revoked and blocked
 * through one node, and every node acts within a second; blocks outlive a node's restart; per-user
 * limits hold across nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { SignJWT } from 'jose';
import { api, connectOutcome, sleep, startServer, TestClient, type TestServer } from './helpers.js';
import { ready, startNodes } from './multi-node.js';
import { until } from './services.js';

const JWT_SECRET = 'multi-node-control-jwt-0123456789abcdef';
/** The control API promises action on every node within this long. */
const WITHIN_MS = 1_000;
const USER_CONNECTIONS = 4;
const USER_PUBLISHES_PER_SECOND = 5;
const USER_COMMANDS_PER_SECOND = 10;

function token(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub, ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
}

let pings = 1_000_000;
/** A round trip on the connection: anything the server queued before the pong reaches the client first. */
async function roundTrip(client: TestClient): Promise<void> {
  const id = pings++;
  client.send({ type: 'ping', id });
  await client.waitFor((f) => f.type === 'pong' && f.id === id);
}

/** A token bucket of `rate` (bursts up to `rate`) hands out at most this many over `ms`. */
const bucketBound = (rate: number, ms: number) => Math.floor(rate + (rate * ms) / 1000) + 1;

/**
 * Send the control request, then wait until every client is closed, at most WITHIN_MS after the
 * request was sent; the answer and the close codes.
 */
async function closesWithin(clients: TestClient[], request: () => ReturnType<typeof api>): Promise<{ answer: Awaited<ReturnType<typeof api>>; codes: number[] }> {
  const started = Date.now();
  const answer = await request();
  return { answer, codes: await closedWithin(clients, WITHIN_MS - (Date.now() - started)) };
}

/** Wait until every client is closed, at most `ms`; their close codes. */
async function closedWithin(clients: TestClient[], ms: number): Promise<number[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not every connection closed within ${ms} ms`)), ms)));
  try {
    return (await Promise.race([Promise.all(clients.map((c) => c.closed)), timeout])).map((c) => c.code);
  } finally {
    clearTimeout(timer);
  }
}

export function multiNodeControlSuite(name: string, engine: () => Record<string, unknown>, cleanup: () => Promise<void>): void {
  describe(`control API across three nodes on ${name}`, () => {
    let nodes: TestServer[];
    let config: Record<string, unknown>;
    const open: TestClient[] = [];
    let n = 0;
    const unique = (what: string) => `${what}${Date.now().toString(36)}_${n++}`;
    const connect = async (node: TestServer, jwt: string) => {
      const client = await TestClient.connect(`${node.wsUrl}?token=${jwt}`);
      open.push(client);
      return client;
    };
    /** One connection of `user` on each node, all with `jwt`. */
    const everywhere = (jwt: string) => Promise.all(nodes.map((node) => connect(node, jwt)));
    /** Until node `i` knows its peers: a user's connections listed there come from all three. */
    const gathered = async (user: string, count: number) =>
      until(async () => ((await api(nodes[0]!, `/api/users/${user}/connections`)).json.connections as unknown[]).length === count, `${count} connections of ${user} listed`);

    before(async () => {
      config = {
        auth: { api_keys: ['test-api-key-0123456789'], jwt: { secrets: [JWT_SECRET] } },
        limits: { user_connections: USER_CONNECTIONS, user_publishes_per_second: USER_PUBLISHES_PER_SECOND, user_commands_per_second: USER_COMMANDS_PER_SECOND },
        presence: { ttl_seconds: 2, refresh_seconds: 0.2 },
        namespaces: { default: { history_size: 10, allow_client_publish: true } },
      };
      nodes = await startNodes(3, engine(), config);
    });
    after(async () => {
      for (const client of open) client.close();
      await Promise.all(nodes.map((node) => node.close()));
      await cleanup();
    });

    it("disconnects a user's connections on every node, or one of them, within a second", async () => {
      const user = unique('dis');
      const jwt = await token(user);
      const clients = await everywhere(jwt);
      await gathered(user, 3);
      const client = (clients[2]!.frames[0] as { client: string }).client;
      const one = await closesWithin([clients[2]!], () => api(nodes[0]!, `/api/users/${user}/disconnect`, { body: { client } }));
      assert.deepEqual([one.answer.status, one.answer.json.disconnected, one.answer.json.nodes, one.codes], [200, 1, 3, [CloseCode.ServerReconnect]]);

      const all = await closesWithin(clients.slice(0, 2), () => api(nodes[1]!, `/api/users/${user}/disconnect`, { body: { reconnect: false, reason: 'logged out' } }));
      assert.deepEqual([all.answer.status, all.answer.json.disconnected, all.codes], [200, 2, [CloseCode.ServerDisconnect, CloseCode.ServerDisconnect]]);
      assert.equal((await clients[0]!.closed).reason, 'logged out');
    });

    it("subscribes and unsubscribes a user's live connections on every node", async () => {
      const user = unique('sub');
      const ch = unique('ctl');
      const clients = await everywhere(await token(user));
      await gathered(user, 3);
      const subscribed = await api(nodes[2]!, `/api/users/${user}/subscribe`, { body: { channel: ch } });
      assert.deepEqual([subscribed.status, subscribed.json.subscribed, subscribed.json.nodes], [200, 3, 3]);
      for (const client of clients) await client.waitFor((f) => f.type === 'subscribed' && f.channel === ch, WITHIN_MS);
      const again = await api(nodes[0]!, `/api/users/${user}/subscribe`, { body: { channel: ch } });
      assert.equal(again.json.subscribed, 0, 'already subscribed: nothing changes');

      const listed = await api(nodes[1]!, `/api/connections?channel=${ch}&limit=2`);
      assert.equal((listed.json.connections as unknown[]).length, 2);
      const rest = await api(nodes[1]!, `/api/connections?channel=${ch}&limit=2&cursor=${listed.json.next_cursor as string}`);
      assert.equal(rest.json.next_cursor, undefined);
      const pages = [...(listed.json.connections as Array<{ client: string; node: string; channels: string[] }>), ...(rest.json.connections as Array<{ client: string; node: string; channels: string[] }>)];
      assert.deepEqual(pages.map((c) => c.node).sort(), ['node0', 'node1', 'node2']);
      assert.ok(pages.every((c) => c.channels.includes(ch)));

      await api(nodes[0]!, '/api/publish', { body: { channel: ch, data: 'while-subscribed' } });
      for (const client of clients) await client.waitForMessages(1, ch);
      const unsubscribed = await api(nodes[0]!, `/api/users/${user}/unsubscribe`, { body: { channel: ch } });
      assert.deepEqual([unsubscribed.status, unsubscribed.json.unsubscribed], [200, 3]);
      for (const client of clients) await client.waitFor((f) => f.type === 'unsubscribed' && f.channel === ch, WITHIN_MS);
      await api(nodes[0]!, '/api/publish', { body: { channel: ch, data: 'after' } });
      // The publish reached every node's subscribers before this second one, published after it, reached the watcher.
      const watcher = await connect(nodes[0]!, await token(unique('w')));
      await watcher.subscribe(ch);
      await api(nodes[1]!, '/api/publish', { body: { channel: ch, data: 'marker' } });
      await watcher.waitForMessages(1, ch);
      for (const client of clients) await roundTrip(client);
      for (const client of clients) assert.deepEqual(client.messages(ch).map((m) => m.data), ['while-subscribed']);
    });

    it('lists a user\'s connections with node, transport, channels, since and address', async () => {
      const user = unique('list');
      const jwt = await token(user);
      const clients = await everywhere(jwt);
      const ch = unique('listed');
      await clients[1]!.subscribe(ch);
      await gathered(user, 3);
      const res = await api(nodes[2]!, `/api/users/${user}/connections`);
      const connections = res.json.connections as Array<{ client: string; user: string; node: string; transport: string; channels: string[]; since: string; address: string }>;
      const byNode = new Map(connections.map((c) => [c.node, c]));
      assert.deepEqual([...byNode.keys()].sort(), ['node0', 'node1', 'node2']);
      assert.deepEqual(byNode.get('node1')!.channels, [ch]);
      for (const c of connections) {
        assert.deepEqual([c.user, c.transport, c.address], [user, 'websocket', '127.0.0.1']);
        assert.ok(Date.now() - Date.parse(c.since) < 60_000);
      }
      assert.deepEqual(connections.map((c) => c.client).sort(), clients.map((c) => (c.frames[0] as { client: string }).client).sort());
    });

    it('a revoked jti closes its connections on every node within a second and cannot connect again', async () => {
      const user = unique('jti');
      const revoked = await token(user, { jti: unique('j') });
      const other = await connect(nodes[0]!, await token(user, { jti: unique('j') }));
      const clients = await everywhere(revoked);
      await gathered(user, 4);
      const jti = JSON.parse(Buffer.from(revoked.split('.')[1]!, 'base64url').toString()).jti as string;
      const { answer, codes } = await closesWithin(clients, () => api(nodes[1]!, '/api/tokens/revoke', { body: { jti } }));
      assert.deepEqual([answer.status, answer.json.disconnected, codes], [200, 3, [CloseCode.Unauthorized, CloseCode.Unauthorized, CloseCode.Unauthorized]]);
      for (const node of nodes) assert.deepEqual((await connectOutcome(`${node.wsUrl}?token=${revoked}`)).code, CloseCode.Unauthorized);
      assert.equal(await Promise.race([other.closed.then(() => 'closed'), sleep(200).then(() => 'open')]), 'open', 'another token of the user still works');
    });

    it("revoking a user's tokens issued before now closes them everywhere; a newer token connects", async () => {
      const user = unique('iat');
      const old = await token(user, { iat: Math.floor(Date.now() / 1000) - 60 });
      const clients = await everywhere(old);
      await gathered(user, 3);
      const { answer, codes } = await closesWithin(clients, () => api(nodes[2]!, `/api/users/${user}/revoke`, { body: {} }));
      assert.deepEqual([answer.status, answer.json.disconnected, codes], [200, 3, [CloseCode.Unauthorized, CloseCode.Unauthorized, CloseCode.Unauthorized]]);
      for (const node of nodes) assert.equal((await connectOutcome(`${node.wsUrl}?token=${old}`)).code, CloseCode.Unauthorized);
      const fresh = await token(user, { iat: Math.floor(Date.now() / 1000) + 1 });
      for (const node of nodes) assert.equal((await connectOutcome(`${node.wsUrl}?token=${fresh}`)).connected, true);
    });

    it('a blocked user is closed on every node within a second, cannot reconnect anywhere, also after a node restarts', async () => {
      const user = unique('blk');
      const jwt = await token(user);
      const clients = await everywhere(jwt);
      await gathered(user, 3);
      const { answer, codes } = await closesWithin(clients, () => api(nodes[0]!, `/api/users/${user}/block`, { body: { reason: 'abuse' } }));
      assert.deepEqual([answer.status, answer.json.blocked, answer.json.reason, answer.json.disconnected], [200, true, 'abuse', 3]);
      assert.deepEqual(codes, [CloseCode.UserBlocked, CloseCode.UserBlocked, CloseCode.UserBlocked]);
      for (const node of nodes) assert.equal((await connectOutcome(`${node.wsUrl}?token=${jwt}`)).code, CloseCode.UserBlocked);
      const sse = await fetch(`${nodes[1]!.url}/sse?channel=x:1&token=${jwt}`);
      assert.deepEqual([sse.status, ((await sse.json()) as { error: { reason: string } }).error.reason], [401, 'user_blocked']);

      await nodes[2]!.close();
      nodes[2] = await startServer({ ...config, engine: engine(), server: { node_name: 'node2' } });
      await until(() => ready(nodes[2]!), 'restarted node ready');
      assert.equal((await connectOutcome(`${nodes[2]!.wsUrl}?token=${jwt}`)).code, CloseCode.UserBlocked, 'the restarted node refuses too');
      assert.deepEqual((await api(nodes[2]!, `/api/users/${user}/block`)).json, { user, blocked: true, reason: 'abuse' });

      assert.deepEqual((await api(nodes[1]!, `/api/users/${user}/unblock`, { method: 'POST' })).json, { user, unblocked: true });
      for (const node of nodes) assert.equal((await connectOutcome(`${node.wsUrl}?token=${jwt}`)).connected, true);
    });

    it('a user with connections on two nodes cannot exceed its connection limit on any node', async () => {
      const user = unique('lim');
      const jwt = await token(user);
      const held = [await connect(nodes[0]!, jwt), await connect(nodes[0]!, jwt), await connect(nodes[1]!, jwt), await connect(nodes[1]!, jwt)];
      for (const node of nodes) {
        const refused = await connectOutcome(`${node.wsUrl}?token=${jwt}`);
        assert.deepEqual([refused.connected, refused.code], [false, CloseCode.RateLimited], `refused on ${node.url}`);
      }
      held[0]!.close();
      await held[0]!.closed;
      await until(async () => (await connectOutcome(`${nodes[2]!.wsUrl}?token=${jwt}`)).connected, 'a connection again once one closed');
    });

    it("a user's commands are limited across nodes without closing its connections", async () => {
      const user = unique('cmds');
      const jwt = await token(user);
      const clients = [await connect(nodes[1]!, jwt), await connect(nodes[2]!, jwt)];
      const started = Date.now();
      const replies = await Promise.all(clients.flatMap((client, c) => Array.from({ length: 15 }, (_, i) => client.request({ type: 'subscribe', channel: `cmds${c}_${i}` }))));
      const bound = bucketBound(USER_COMMANDS_PER_SECOND, Date.now() - started);
      const ok = replies.filter((r) => 'ok' in r).length;
      assert.equal(ok + replies.filter((r) => 'error' in r && r.error.code === 'rate_limited').length, 30);
      assert.ok(ok >= USER_COMMANDS_PER_SECOND && ok <= bound && ok < 30, `${ok} commands accepted (at most ${bound})`);
      for (const client of clients) await roundTrip(client);
    });

    it("a user's publishes are limited across nodes without closing its connections", async () => {
      const user = unique('rate');
      const jwt = await token(user);
      const clients = [await connect(nodes[0]!, jwt), await connect(nodes[1]!, jwt)];
      const ch = unique('rate');
      const started = Date.now();
      const replies = await Promise.all(
        clients.flatMap((client) => Array.from({ length: 10 }, (_, i) => client.request({ type: 'publish', channel: ch, data: i }))),
      );
      const bound = bucketBound(USER_PUBLISHES_PER_SECOND, Date.now() - started);
      const ok = replies.filter((r) => 'ok' in r).length;
      const limited = replies.filter((r) => 'error' in r && r.error.code === 'rate_limited').length;
      assert.equal(ok + limited, 20);
      assert.ok(ok >= USER_PUBLISHES_PER_SECOND && ok <= bound && ok < 20, `${ok} publishes accepted (at most ${bound})`);
      for (const client of clients) await roundTrip(client);
    });
  });
}
