/**
 * Fan-out isolation: a publication that cannot be encoded (here through the test-only fault hook,
 * `HeraldOptions.testHooks.encodeFault`) never takes the node down, never stops delivery to
 * anyone else, and every subscriber that could not get it is told to recover — over real
 * WebSocket (raw and SDK), SSE and long-poll clients.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connect, type HeraldClient } from '@herald/client';
import type { RecoveryFailure } from '@herald/protocol';
import type { Publication } from '../broker/broker.js';
import { encoder as sseEncoder } from '../transports/sse.js';
import { api, FAST_BACKOFF, publish, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { closeSseClients, dataOf, poll, SseClient } from '../test/http-subscribers.js';
import { UNDELIVERABLE } from './jobs.js';

afterEach(closeSseClients);

const poisoned = (pub: Publication) => (JSON.parse(pub.data) as { poison?: boolean } | null)?.poison === true;
const CONFIG = { sse: { retry_ms: 50 }, longpoll: { timeout_seconds: 30 } };

/** One value of `herald_fanout_errors_total`, read from /metrics like Prometheus would. */
async function fanoutErrors(server: TestServer, stage: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`herald_fanout_errors_total{stage="${stage}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** An SDK client subscribed to `channel`, recording message data and recovery failures. */
function sdkSubscriber(server: TestServer, channel: string) {
  const client = connect(server.wsUrl, { backoff: FAST_BACKOFF });
  const got: unknown[] = [];
  const failures: RecoveryFailure[] = [];
  const sub = client.subscribe(channel, (m) => got.push(m.data));
  sub.on('recovery-failed', ({ reason }) => failures.push(reason));
  return { client, sub, got, failures };
}

async function publishAll(server: TestServer, channel: string, values: unknown[]): Promise<void> {
  for (const data of values) assert.equal((await publish(server, channel, data)).status, 200);
}

describe('a publication that cannot be encoded', () => {
  it('leaves the node up, tells every subscriber that missed it to recover, and later publications flow', async () => {
    const server = await startServer(CONFIG, { testHooks: { encodeFault: poisoned } });
    const clients: HeraldClient[] = [];
    try {
      const raw = await TestClient.connect(server.wsUrl);
      await raw.subscribe('iso');
      const control = await TestClient.connect(server.wsUrl);
      await control.subscribe('control');
      const sdk = sdkSubscriber(server, 'iso');
      clients.push(sdk.client);
      const sse = new SseClient(`${server.url}/sse?channel=iso`);
      await sse.waitForSubscribed(1);
      let cursor = (await poll(server.url, ['iso'])).body.cursor;
      await waitUntil(() => sdk.sub.state === 'subscribed', 5000, () => 'the SDK subscription');

      await publishAll(server, 'iso', [1, 2]);
      await publishAll(server, 'control', [1, 2]);
      const first = await poll(server.url, ['iso'], cursor);
      assert.deepEqual(dataOf(first.body.messages), [1, 2]);
      cursor = first.body.cursor;
      await sse.waitForMessages(2);

      // A long-poll held when the poisoned publication arrives.
      const subscribers = server.herald.hub.subscriberCount('iso');
      const held = poll(server.url, ['iso'], cursor);
      await waitUntil(() => server.herald.hub.subscriberCount('iso') > subscribers, 5000, () => 'the held poll');
      await publishAll(server, 'iso', [{ poison: true }]);
      await publishAll(server, 'control', [3]);

      // The held poll answers without it and keeps its cursor: the next request meets it in history.
      const answered = await held;
      assert.equal(answered.status, 200);
      assert.deepEqual(answered.body.messages, []);
      assert.equal(answered.body.cursor, cursor);
      const reset = await poll(server.url, ['iso'], cursor);
      assert.equal(reset.status, 200);
      assert.deepEqual(reset.body.reset, [{ channel: 'iso', reason: 'undeliverable' }]);
      assert.notEqual(reset.body.cursor, cursor);
      cursor = reset.body.cursor;

      // WebSocket: closed with 1012 (reconnect and recover); the SDK does so and is told recovered:false.
      assert.deepEqual(await raw.closed, { code: 1012, reason: UNDELIVERABLE });
      await waitUntil(() => sdk.failures.length > 0 && sdk.sub.state === 'subscribed', 5000, () => 'the SDK recovery');
      assert.deepEqual(sdk.failures, ['undeliverable']);
      // SSE: an error event ends the stream; the EventSource resumes and is told recovered:false.
      const [, resumed] = await sse.waitForSubscribed(2);
      assert.deepEqual([resumed!.recovered, resumed!.reason], [false, 'undeliverable']);
      assert.equal(sse.events.find((e) => e.type === 'error')?.data.type, 'error');

      await publishAll(server, 'iso', [4, 5]);
      await publishAll(server, 'control', [4, 5]);
      await waitUntil(() => sdk.got.length >= 4, 5000, () => `SDK messages (have ${JSON.stringify(sdk.got)})`);
      assert.deepEqual(sdk.got, [1, 2, 4, 5]);
      assert.deepEqual(dataOf(await sse.waitForMessages(4)), [1, 2, 4, 5]);
      const later = await poll(server.url, ['iso'], cursor);
      assert.deepEqual(dataOf(later.body.messages), [4, 5]);
      assert.deepEqual(dataOf(await control.waitForMessages(5)), [1, 2, 3, 4, 5]);

      // The HTTP history API leaves it out and says so, instead of answering 500.
      const history = await api(server, '/api/channels/iso/history');
      assert.equal(history.status, 200);
      assert.deepEqual([history.json.recovered, history.json.reason], [false, 'undeliverable']);
      assert.deepEqual((history.json.publications as Array<{ data: unknown }>).map((p) => p.data), [1, 2, 4, 5]);

      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.ok((await fanoutErrors(server, 'encode')) >= 1);
      // The SDK's, the SSE stream's and the long-poll's recovery each met it in history.
      assert.ok((await fanoutErrors(server, 'recovery')) >= 3);
      assert.equal(await fanoutErrors(server, 'history'), 1);
      control.close();
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });

  it('on one transport only, leaves the subscribers of the others served', async () => {
    const server = await startServer(CONFIG, { testHooks: { encodeFault: (pub, encoder) => encoder === sseEncoder && poisoned(pub) } });
    try {
      const ws = await TestClient.connect(server.wsUrl);
      await ws.subscribe('iso');
      const sse = new SseClient(`${server.url}/sse?channel=iso`);
      await sse.waitForSubscribed(1);
      await publishAll(server, 'iso', [1, { poison: true }, 3]);
      assert.deepEqual(dataOf(await ws.waitForMessages(3)), [1, { poison: true }, 3]);
      const [, resumed] = await sse.waitForSubscribed(2);
      assert.deepEqual([resumed!.recovered, resumed!.reason], [false, 'undeliverable']);
      await publishAll(server, 'iso', [4]);
      assert.deepEqual(dataOf(await ws.waitForMessages(4)), [1, { poison: true }, 3, 4]);
      await waitUntil(() => dataOf(sse.messages()).includes(4), 5000, () => `SSE message 4 (have ${JSON.stringify(dataOf(sse.messages()))})`);
      assert.equal(dataOf(sse.messages())[0], 1);
      ws.close();
    } finally {
      await server.close();
    }
  });

  it('once only (a transient fault): the subscriber told to recover gets every message exactly once', async () => {
    let faults = 0;
    const server = await startServer(CONFIG, { testHooks: { encodeFault: (pub) => poisoned(pub) && faults++ === 0 } });
    const sdk = sdkSubscriber(server, 'iso');
    try {
      await waitUntil(() => sdk.sub.state === 'subscribed', 5000, () => 'the SDK subscription');
      await publishAll(server, 'iso', [1, { poison: true }]);
      await waitUntil(() => sdk.got.length >= 2, 5000, () => `SDK messages (have ${JSON.stringify(sdk.got)})`);
      await publishAll(server, 'iso', [3]);
      await waitUntil(() => sdk.got.length >= 3, 5000, () => `SDK messages (have ${JSON.stringify(sdk.got)})`);
      assert.deepEqual(sdk.got, [1, { poison: true }, 3]);
      assert.deepEqual(sdk.failures, []);
      assert.equal(faults, 2);
    } finally {
      sdk.client.close();
      await server.close();
    }
  });
});
