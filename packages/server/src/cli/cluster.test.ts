/**
 * `herald serve --workers 2` as a real process tree: the workers share one port and, with the
 * memory engine, one set of streams held by the primary.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import type { ChannelInfo, PresenceResult } from '@herald/protocol';
import { assertByteExact } from '../test/byte-exact.js';
import { API_KEY, childEnv, TestClient } from '../test/helpers.js';
import { freePort, until } from '../test/services.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));

it('herald serve with HERALD_WORKERS=2: both workers serve, share offsets, history, presence, counts and metrics, and stop on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--log-level', 'warn'], {
    env: childEnv({ HERALD_API_KEYS: API_KEY, HERALD_WORKERS: '2' }),
    stdio: 'ignore',
  });
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  const clients: TestClient[] = [];
  try {
    await until(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 'a ready worker', 20_000);
    // The primary hands connections to the workers in turn: keep connecting until both answered.
    const nodes = new Set<string>();
    await until(async () => {
      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      clients.push(client);
      nodes.add((client.frames[0] as { node: string }).node);
      return nodes.size === 2;
    }, 'connections on both workers', 20_000);
    await Promise.all(clients.map((c) => c.subscribe('shared')));
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`${base}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'shared', data: i }) });
      assert.equal(res.status, 200);
    }
    for (const client of clients) {
      const msgs = await client.waitForMessages(3, 'shared');
      assert.deepEqual(msgs.map((m) => [m.offset, m.data]), [[1, 1], [2, 2], [3, 3]], 'one stream, whichever worker took the publish');
      assert.equal(new Set(msgs.map((m) => m.epoch)).size, 1);
    }
    // Through the primary's IPC too, data stays the publisher's own text.
    const node = { url: base, wsUrl: `ws://127.0.0.1:${port}/ws` };
    await assertByteExact(node, node, 'exact');
    // A new connection per request: the primary deals them out to the workers in turn.
    const once = () =>
      fetch(`${base}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'cluster-once', connection: 'close' },
        body: JSON.stringify({ channel: 'idem', data: 'once' }),
      }).then((r) => r.json());
    const answers = [await once(), await once(), await once(), await once()];
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
    assert.equal(((await (await fetch(`${base}/api/channels/idem/history`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { offset: number }).offset, 1, 'published once');
    // Occupancy and presence are held by the primary: whichever worker answers counts both workers' clients.
    const get = async (path: string) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    await until(async () => ((await get('/api/channels/shared')) as ChannelInfo).subscribers === clients.length, 'subscribers on both workers counted', 10_000);
    assert.equal(((await get('/api/channels/shared')) as ChannelInfo).nodes, 2);
    // Control commands reach every worker through the primary, which also holds blocks for all of them.
    await until(async () => ((await get('/api/connections?channel=shared')) as { connections: unknown[] }).connections.length === clients.length, 'connections listed from both workers', 10_000);
    const post = (path: string) => fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, connection: 'close' } });
    assert.equal((await post('/api/users/blocked-user/block')).status, 200);
    for (let i = 0; i < 4; i++) {
      const state = await (await fetch(`${base}/api/users/blocked-user/block`, { headers: { authorization: `Bearer ${API_KEY}`, connection: 'close' } })).json();
      assert.deepEqual(state, { user: 'blocked-user', blocked: true, reason: '' });
    }
    // Any worker answers /metrics for both: every scrape counts every worker's connections.
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text();
      assert.match(text, new RegExp(`^herald_connections\\{transport="websocket"\\} ${clients.length}$`, 'm'), text.split('\n').filter((l) => l.startsWith('herald_connections')).join('\n'));
    }
    const onEach = [clients[0]!, clients.find((c) => (c.frames[0] as { node: string }).node !== (clients[0]!.frames[0] as { node: string }).node)!];
    for (const client of onEach) await client.request({ type: 'subscribe', channel: 'demo:lobby', presence: true });
    await until(async () => ((await get('/api/channels/demo:lobby/presence')) as PresenceResult).members.length === 2, 'one member per worker', 10_000);
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
    for (const client of clients) assert.equal((await client.closed).code, 1012);
  } finally {
    for (const client of clients) client.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
