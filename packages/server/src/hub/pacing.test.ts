/**
 * Paced flushes (hub/pacing.ts, namespace `write_delay_ms`) over real sockets: a sequential
 * publisher's publications reach WebSocket, SSE and long-poll subscribers once each and in order
 * with the delay on and off, replies and recovery keep their place among them, a publication after
 * a quiet spell is still delivered, and the option is validated. No timing is asserted: with the
 * delay at its largest, "some frames shared a write" only needs two publications within 100 ms.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { MessageFrame } from '@herald/protocol';
import { ConfigError, loadConfig } from '../config/load.js';
import { publish, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { closeSseClients, poll, SseClient } from '../test/http-subscribers.js';

afterEach(closeSseClients);

const TOTAL = 300;

function assertExactlyOnce(messages: MessageFrame[], channel: string, what: string): void {
  const mine = messages.filter((m) => m.channel === channel);
  assert.deepEqual(
    mine.map((m) => m.offset),
    Array.from({ length: TOTAL }, (_, k) => k + 1),
    `${what}: every offset once, in order`,
  );
  assert.deepEqual(
    mine.map((m) => m.data),
    Array.from({ length: TOTAL }, (_, i) => ({ i })),
    `${what}: the published data`,
  );
}

/** Long-polls `channel` until `total` messages came (or 60 s passed). */
async function pollAll(server: TestServer, channel: string): Promise<MessageFrame[]> {
  let cursor = (await poll(server.url, [channel])).body.cursor;
  const got: MessageFrame[] = [];
  const deadline = Date.now() + 60_000;
  while (got.length < TOTAL && Date.now() < deadline) {
    const res = await poll(server.url, [channel], cursor);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    got.push(...res.body.messages);
    cursor = res.body.cursor;
  }
  return got;
}

for (const delay of [100, 0]) {
  describe(`a sequential publisher with write_delay_ms ${delay}`, () => {
    it(`reaches WebSocket, SSE and long-poll subscribers once each, in order, replies in their place`, async (t) => {
      const server = await startServer({
        longpoll: { timeout_seconds: 1 },
        namespaces: { default: { history_size: 1000, write_delay_ms: delay } },
      });
      try {
        const channel = `seq${delay}`;
        const sockets = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.wsUrl)));
        for (const ws of sockets) await ws.subscribe(channel);
        const sse = new SseClient(`${server.url}/sse?channel=${channel}`);
        await sse.waitForSubscribed(1);
        const polled = pollAll(server, channel);
        polled.catch(() => {}); // awaited below; a failure before that must not surface as an unhandled rejection
        // Joins mid-stream with recovery from the start: its reply, the replay and the live tail must not overlap or skip.
        const late = await TestClient.connect(server.wsUrl);
        const counters = server.herald.hub.counters;
        const writesBefore = counters.subscriberWrites;
        const deliveredBefore = counters.delivered;

        for (let i = 0; i < TOTAL; i++) {
          // One connection, each publish awaited: the pattern that gives every publication its own turn.
          const res = await publish(server, channel, { i });
          assert.equal(res.status, 200);
          if (i === TOTAL / 2) await late.subscribe(channel, { offset: 0, epoch: (res.json as { epoch: string }).epoch });
          // Replies are written while publications may be held: each must come back, in its place.
          if (i % 50 === 0) assert.ok('ok' in (await sockets[0]!.request({ type: 'subscribe', channel: `side${i}` })), 'subscribe answered');
        }

        for (const [k, ws] of sockets.entries()) assertExactlyOnce(await ws.waitForMessages(TOTAL, channel, 30_000), channel, `WebSocket ${k + 1}`);
        assertExactlyOnce(await late.waitForMessages(TOTAL, channel, 30_000), channel, 'WebSocket joining mid-stream with recovery');
        assertExactlyOnce(await sse.waitForMessages(TOTAL, channel, 30_000), channel, 'SSE');
        assertExactlyOnce(await polled, channel, 'long-poll');

        const frames = sockets[0]!.frames;
        const lastReply = frames.findLastIndex((f) => f.type === 'reply');
        assert.ok(lastReply > frames.findIndex((f) => f.type === 'message'), 'replies are interleaved with the stream, not queued behind it');
        const writes = counters.subscriberWrites - writesBefore;
        const delivered = counters.delivered - deliveredBefore;
        assert.ok(writes > 0);
        t.diagnostic(`${delivered} publication frames in ${writes} socket writes`);
        // Without pacing a sequential publisher gets about one write per delivery (the late joiner's replay aside).
        if (delay > 0) assert.ok(writes * 2 < delivered, `frames shared writes (${delivered} deliveries in ${writes} writes)`);
        for (const ws of [...sockets, late]) ws.close();
        sse.close();
      } finally {
        await server.close();
      }
    });
  });
}

describe('rounds over many sockets', () => {
  // Rounds are written in slices of about a millisecond, so publications land while one is
  // being written. Two sequential publishers make sure of it without relying on timing.
  for (const delay of [2, 0]) {
    it(`write_delay_ms ${delay}: every socket gets every offset once, in order, and no write is empty`, async () => {
      const server = await startServer({ namespaces: { default: { history_size: 1000, write_delay_ms: delay } } });
      const SOCKETS = 300;
      const EACH = 40;
      try {
        const channel = `many${delay}`;
        const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => TestClient.connect(server.wsUrl)));
        await Promise.all(sockets.map((ws) => ws.subscribe(channel)));
        const counters = server.herald.hub.counters;
        const writesBefore = counters.subscriberWrites;
        const deliveredBefore = counters.delivered;
        await Promise.all(
          [0, 1].map(async (p) => {
            for (let i = 0; i < EACH; i++) assert.equal((await publish(server, channel, { p, i })).status, 200);
          }),
        );
        for (const [k, ws] of sockets.entries()) {
          const got = await ws.waitForMessages(2 * EACH, channel, 30_000);
          assert.deepEqual(
            got.map((m) => m.offset),
            Array.from({ length: 2 * EACH }, (_, j) => j + 1),
            `socket ${k}: every offset once, in order`,
          );
          for (const p of [0, 1]) {
            const mine = got.map((m) => m.data as { p: number; i: number }).filter((d) => d.p === p);
            assert.deepEqual(mine.map((d) => d.i), Array.from({ length: EACH }, (_, i) => i), `socket ${k}: publisher ${p} in order`);
          }
        }
        const writes = counters.subscriberWrites - writesBefore;
        const delivered = counters.delivered - deliveredBefore;
        assert.equal(delivered, SOCKETS * 2 * EACH);
        // A socket is written once per round at most and only with something queued: never more writes than frames.
        assert.ok(writes > 0 && writes <= delivered, `${delivered} deliveries in ${writes} writes`);
        for (const ws of sockets) ws.close();
      } finally {
        await server.close();
      }
    });
  }
});

describe('write_delay_ms', () => {
  it('a publication after a quiet spell is delivered; namespaces pace their own channels', async () => {
    const server = await startServer({ namespaces: { default: { write_delay_ms: 100 }, now: { write_delay_ms: 0 } } });
    try {
      const ws = await TestClient.connect(server.wsUrl);
      await ws.subscribe('quiet');
      await ws.subscribe('now:quiet');
      for (let round = 1; round <= 3; round++) {
        assert.equal((await publish(server, 'quiet', { round })).status, 200);
        assert.equal((await publish(server, 'now:quiet', { round })).status, 200);
        const got = await ws.waitForMessages(round, 'quiet');
        assert.deepEqual(got.at(-1)?.data, { round });
        assert.deepEqual((await ws.waitForMessages(round, 'now:quiet')).at(-1)?.data, { round });
        await sleep(250); // longer than the delay: the next publication follows a quiet spell
      }
      assert.equal(ws.messages().length, 6, 'nothing twice');
      ws.close();
    } finally {
      await server.close();
    }
  });

  it('defaults to 2 ms and refuses what is not a whole number of ms in 0…100', () => {
    const config = loadConfig({ object: { namespaces: { default: {} } }, env: {} });
    assert.equal(config.namespaces.default?.write_delay_ms, 2);
    for (const bad of [-1, 101, 1.5, '2']) {
      assert.throws(
        () => loadConfig({ object: { namespaces: { default: { write_delay_ms: bad } } }, env: {} }),
        (err: unknown) => err instanceof ConfigError && /write_delay_ms/.test(err.message),
        `write_delay_ms ${JSON.stringify(bad)}`,
      );
    }
  });
});
