/**
 * The client SDK's presence and client-publish surface against a real server, over WebSocket,
 * SSE (presence events, no presence() request) and long-poll (no presence events).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, type HeraldError, type Message } from '@herald/client';
import type { ClientInfo } from '@herald/protocol';
import { FAST_BACKOFF, publish, startServer, waitUntil } from '@herald/server/testing';

const fast = { backoff: FAST_BACKOFF };

describe('client SDK presence', () => {
  it('keeps members from the presence frame and join/leave, lists them on request, and shows who published', async () => {
    const server = await startServer({ namespaces: { room: { presence: true, allow_client_publish: true } } });
    const a = connect(server.wsUrl);
    const b = connect(server.wsUrl);
    try {
      const joins: ClientInfo[] = [];
      const leaves: ClientInfo[] = [];
      const got: Message[] = [];
      const sub = a.subscribe('room:1', (m) => got.push(m), { presence: true });
      sub.on('join', (i) => joins.push(i));
      sub.on('leave', (i) => leaves.push(i));
      await waitUntil(() => sub.members.size === 1, 5000, () => 'own membership');
      const bSub = b.subscribe('room:1');
      await waitUntil(() => sub.members.size === 2, 5000, () => `two members (${[...sub.members.keys()].join()})`);
      assert.deepEqual((await a.presence('room:1')).map((m) => m.user).sort(), [...sub.members.keys()].sort());

      await waitUntil(() => bSub.state === 'subscribed', 5000, () => 'b subscribed');
      await b.publish('room:1', 'hello');
      await waitUntil(() => got.length === 1, 5000, () => 'message');
      assert.equal(got[0]!.info?.user, joins.at(-1)!.user);

      bSub.unsubscribe();
      await waitUntil(() => leaves.length === 1, 5000, () => 'leave');
      assert.equal(leaves[0]!.user, joins.at(-1)!.user);
      assert.equal(sub.members.size, 1);
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it('on SSE, a subscription with presence: true keeps members from the stream\'s presence, join and leave', async () => {
    // A namespace without WebSocket: both clients fall back to SSE, as client-fallback tests.
    const server = await startServer({ namespaces: { board: { presence: true, transports: ['sse', 'longpoll'] } } });
    const a = connect(server.wsUrl, fast);
    const b = connect(server.wsUrl, fast);
    try {
      const events: string[] = [];
      const sub = a.subscribe('board:1', undefined, { presence: true });
      sub.on('presence', (members) => events.push(`presence:${members.length}`));
      sub.on('join', (i) => events.push(`join:${i.user}`));
      sub.on('leave', (i) => events.push(`leave:${i.user}`));
      await waitUntil(() => sub.members.size === 1, 10_000, () => `own membership (on ${a.transport})`);
      assert.equal(a.transport, 'sse');
      const own = [...sub.members.keys()][0]!;

      const bSub = b.subscribe('board:1');
      await waitUntil(() => sub.members.size === 2, 10_000, () => `two members (${[...sub.members.keys()].join()})`);
      assert.equal(b.transport, 'sse');
      const other = [...sub.members.keys()].find((u) => u !== own)!;
      bSub.unsubscribe();
      await waitUntil(() => !sub.members.has(other), 10_000, () => `b to leave (${events.join()})`);
      assert.deepEqual([...sub.members.keys()], [own]);
      assert.deepEqual(events.filter((e) => e !== `join:${own}`), ['presence:1', `join:${other}`, `leave:${other}`]);

      await assert.rejects(a.presence('board:1'), (err: HeraldError) => err.code === 'not_supported');
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it('on long-poll, a subscription with presence: true still gets its messages, and no presence events', async () => {
    const server = await startServer({ namespaces: { board: { presence: true } }, longpoll: { timeout_seconds: 2 } });
    const client = connect(server.wsUrl, { ...fast, transports: ['longpoll'] });
    try {
      const got: unknown[] = [];
      const sub = client.subscribe('board:2', (m) => got.push(m.data), { presence: true });
      let presenceEvents = 0;
      for (const event of ['presence', 'join', 'leave'] as const) sub.on(event, () => presenceEvents++);
      await waitUntil(() => sub.state === 'subscribed', 10_000, () => 'subscribed');
      await publish(server, 'board:2', 'hello');
      await waitUntil(() => got.length === 1, 10_000, () => 'the message');
      assert.equal(presenceEvents, 0);
      assert.equal(sub.members.size, 0);
    } finally {
      client.close();
      await server.close();
    }
  });
});
