/**
 * The client SDK's presence and client-publish surface against a real server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, type Message } from '@herald/client';
import type { ClientInfo } from '@herald/protocol';
import { startServer, waitUntil } from '@herald/server/testing';

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
});
