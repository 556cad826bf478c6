/**
 * The control API on one node: what crosses the bus cannot break a node, and SSE streams are
 * disconnected and listed but not subscribed server-side (they are told so). Across nodes: test/multi-node-control.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { MemoryControlBus } from '../broker/control.js';
import { api, signJwt, startServer, type TestServer } from '../test/helpers.js';
import { ClusterCommands } from './cluster.js';

describe('control commands between nodes', () => {
  it('ignores what is not a command and answers a command that fails with its error', async () => {
    const bus = new MemoryControlBus();
    const node = new ClusterCommands(bus, 'n1', async (cmd) => {
      if ((cmd as { op?: string }).op !== 'count') throw new Error('unknown command');
      return { count: 1 };
    }, pino({ level: 'silent' }));
    node.start();
    try {
      for (const junk of ['', 'null', '[1,2]', '"text"', '{"t":"cmd"}', '{"t":"ans","id":5}', '{"t":"hello","node":7}', '{"t":"cmd","id":"x","from":"y","cmd":null}', '{'.repeat(10_000)]) await bus.send(junk);
      assert.deepEqual(await node.run({ op: 'count' }), [{ node: 'n1', result: { count: 1 } }]);
      assert.deepEqual(await node.run({ op: 'evict' }), [{ node: 'n1', result: { error: 'unknown command' } }]);
    } finally {
      node.close();
    }
  });
});

describe('control API and SSE streams', () => {
  const secret = 'control-sse-jwt-secret-0123456789';
  let server: TestServer;
  before(async () => {
    server = await startServer({ auth: { jwt: { secrets: [secret] } }, namespaces: { orders: {} } });
  });
  after(() => server.close());

  it('lists and disconnects an SSE stream; a server-side subscribe leaves it alone', async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/sse?channel=orders:1&token=${await signJwt(secret, 's1')}`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text;
    };
    try {
      await read('event: subscribed');
      const listed = await api(server, '/api/users/s1/connections');
      assert.deepEqual((listed.json.connections as Array<{ transport: string; channels: string[] }>).map((c) => [c.transport, c.channels]), [['sse', ['orders:1']]]);
      assert.equal((await api(server, '/api/users/s1/subscribe', { body: { channel: 'orders:2' } })).json.subscribed, 0);
      // The same path as every server-side subscribe: the stream is told it cannot take the channel.
      assert.match(await read('event: unsubscribed'), /event: unsubscribed\ndata: \{"type":"unsubscribed","channel":"orders:2","cause":\{"code":"transport_not_allowed"/);
      assert.equal((await api(server, '/api/users/s1/disconnect', { body: { reason: 'bye' } })).json.disconnected, 1);
      assert.match(await read('"message":"bye"'), /event: error\ndata: \{"type":"error","error":\{"code":"forbidden","message":"bye"\}\}/);
    } finally {
      abort.abort();
    }
  });
});
