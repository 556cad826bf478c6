/**
 * The three transports side by side: the same publications reach a WebSocket, an SSE and a
 * long-poll subscriber identically (same JSON, same offsets, same order per channel).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { MessageFrame } from '@herald/protocol';
import { publish, startServer, TestClient } from '../test/helpers.js';
import { closeSseClients, poll, SseClient } from '../test/http-subscribers.js';

afterEach(closeSseClients);

describe('WebSocket, SSE and long-poll together', () => {
  it('deliver the same 1000 messages, in the same order, with the same offsets', async () => {
    const server = await startServer({ longpoll: { timeout_seconds: 1 }, namespaces: { default: { history_size: 1000 } } });
    try {
      const channels = ['mixed-a', 'mixed-b'];
      const total = 1000;
      const ws = await TestClient.connect(server.wsUrl);
      for (const channel of channels) await ws.subscribe(channel);
      const sse = new SseClient(`${server.url}/sse?${channels.map((c) => `channel=${c}`).join('&')}`, ['even']);
      await sse.waitForSubscribed(channels.length);
      let cursor = (await poll(server.url, channels)).body.cursor;
      const polled: MessageFrame[] = [];
      const poller = (async () => {
        const deadline = Date.now() + 30_000;
        while (polled.length < total && Date.now() < deadline) {
          const res = await poll(server.url, channels, cursor);
          assert.equal(res.status, 200);
          polled.push(...res.body.messages);
          cursor = res.body.cursor;
        }
      })();

      // Ten publishers at a time, so fan-out sees bursts as well as single messages.
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < total) {
            const i = next++;
            const res = await publish(server, channels[i % 3 === 0 ? 1 : 0]!, { i }, i % 2 === 0 ? 'even' : undefined);
            assert.equal(res.status, 200);
          }
        }),
      );
      const viaWs = await ws.waitForMessages(total, undefined, 20_000);
      const viaSse = await sse.waitForMessages(total, undefined, 20_000);
      await poller;

      assert.equal(viaWs.length, total);
      assert.deepEqual(viaSse, viaWs, 'SSE: the same messages in the same order as WebSocket');
      for (const channel of channels) {
        const expected = viaWs.filter((m) => m.channel === channel);
        assert.deepEqual(expected.map((m) => m.offset), Array.from({ length: expected.length }, (_, k) => k + 1), `${channel}: every offset once, in order`);
        assert.deepEqual(polled.filter((m) => m.channel === channel), expected, `long-poll on ${channel}`);
      }
      assert.equal(polled.length, total);
      ws.close();
      sse.close();
    } finally {
      await server.close();
    }
  });
});
