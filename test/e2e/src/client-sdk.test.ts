/**
 * The client SDK against real Herald servers: restarts, recovery, token refresh, backoff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, type HeraldClient, type Message } from '@herald/client';
import { Publisher } from '@herald/publisher';
import { MemoryBroker, toRawJson } from '@herald/server';
import { API_KEY, publish, sleep, startServer, waitUntil, type TestServer } from '@herald/server/testing';
import { SignJWT } from 'jose';

const fast = { initialMs: 20, maxMs: 300, factor: 2 };

async function connected(client: HeraldClient): Promise<void> {
  await waitUntil(() => client.state === 'connected', 5000, () => 'connected');
}

describe('client SDK', () => {
  it('counts 1 000 messages through two server restarts: none lost, none duplicated, in order', async () => {
    const broker = new MemoryBroker();
    const config = { namespaces: { default: { history_size: 1000 } } };
    let server: TestServer = await startServer(config, { broker });
    const port = new URL(server.url).port;
    const restart = async () => {
      await server.close();
      server = await startServer({ ...config, server: { port: Number(port) } }, { broker });
    };
    const client = connect(server.wsUrl, { backoff: fast });
    const got: number[] = [];
    let failures = 0;
    const sub = client.subscribe('stream', (m: Message) => got.push(m.data as number));
    sub.on('recovery-failed', () => failures++);
    await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
    const publisher = new Publisher({ url: server.url, apiKey: API_KEY, retries: 50, minDelayMs: 20, maxDelayMs: 200 });
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    for (let i = 1; i <= 1000; i++) {
      await publisher.publish('stream', i);
      if (i === 333 || i === 666) await restart();
    }
    await waitUntil(() => got.length >= 1000, 15_000, () => `1000 messages (have ${got.length})`);
    await sleep(100);
    assert.equal(disconnects, 2, 'the client saw both restarts');
    assert.equal(failures, 0);
    assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i + 1));
    client.close();
    await server.close();
    await broker.close();
  });

  it('emits recovery-failed when more was missed than history holds, then continues live', async () => {
    const broker = new MemoryBroker();
    const config = { namespaces: { default: { history_size: 5 } } };
    const a = await startServer(config, { broker });
    const client = connect(a.wsUrl, { backoff: fast });
    const got: unknown[] = [];
    const failed: string[] = [];
    let back: TestServer | undefined;
    try {
      const sub = client.subscribe('short', (m) => got.push(m.data));
      sub.on('recovery-failed', (e) => failed.push(e.reason));
      await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
      await publish(a, 'short', 'before');
      await waitUntil(() => got.length === 1, 5000, () => 'first message');
      const port = Number(new URL(a.url).port);
      await a.close(); // the client keeps retrying this port
      // Meanwhile another node of the system publishes more than history keeps.
      for (let i = 0; i < 10; i++) await broker.publish('short', { data: toRawJson(`missed-${i}`) }, { size: 5, ttlMs: 60_000 });
      back = await startServer({ ...config, server: { port } }, { broker });
      await waitUntil(() => failed.length === 1 && sub.state === 'subscribed', 10_000, () => 'recovery-failed');
      assert.deepEqual(failed, ['history_truncated']);
      await publish(back, 'short', 'after');
      await waitUntil(() => got.includes('after'), 5000, () => 'live message');
      assert.deepEqual(got, ['before', 'after'], 'no partial history is replayed after a failed recovery');
    } finally {
      client.close();
      await back?.close();
      await broker.close();
    }
  });

  it('refreshes its token through getToken when the server asks, without disconnecting', async () => {
    const secret = 'sdk-jwt-secret-0123456789abcdef';
    const server = await startServer({ auth: { jwt: { secrets: [secret], leeway_seconds: 0, refresh_grace_seconds: 2 } }, namespaces: { default: {} } });
    let minted = 0;
    const getToken = () => {
      minted++;
      return new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + 2).sign(new TextEncoder().encode(secret));
    };
    const client = connect(server.wsUrl, { getToken, backoff: fast });
    let disconnects = 0;
    client.on('disconnected', () => disconnects++);
    const got: unknown[] = [];
    const sub = client.subscribe('news', (m) => got.push(m.data));
    await waitUntil(() => sub.state === 'subscribed', 5000, () => 'subscribed');
    await waitUntil(() => minted >= 3, 10_000, () => 'two refreshes');
    await publish(server, 'news', 'still connected');
    await waitUntil(() => got.length === 1, 5000, () => 'message after refresh');
    assert.equal(disconnects, 0);
    client.close();
    await server.close();
  });

  it('a refused token without getToken does not reconnect; with getToken it fetches a new one', async () => {
    const secret = 'sdk-jwt-secret-0123456789abcdef';
    const server = await startServer({ auth: { jwt: { secrets: [secret] } } });
    const stuck = connect(server.wsUrl, { token: 'not-a-jwt', backoff: fast });
    const closed = await new Promise<{ code: number; willReconnect: boolean }>((resolve) => stuck.on('disconnected', resolve));
    assert.equal(closed.code, 4001);
    assert.equal(closed.willReconnect, false);
    let calls = 0;
    const good = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const healed = connect(server.wsUrl, { getToken: async () => (++calls === 1 ? 'not-a-jwt' : good), backoff: fast });
    await connected(healed);
    assert.equal(calls, 2);
    stuck.close();
    healed.close();
    await server.close();
  });

  it('reconnect delays stay within the configured backoff bounds', async () => {
    // Nothing listens on port 9: every transport fails in turn, and each retry waits.
    const client = connect('ws://127.0.0.1:9/ws', { backoff: { initialMs: 10, maxMs: 40, factor: 2 } });
    client.subscribe('anything');
    const delays: Array<{ attempt: number; delayMs: number }> = [];
    const tried = new Set<string>();
    client.on('reconnecting', (e) => {
      delays.push(e);
      tried.add(client.transport);
    });
    await waitUntil(() => delays.length >= 8, 5000, () => 'eight reconnect attempts');
    assert.deepEqual([...tried].sort(), ['longpoll', 'sse', 'websocket'], 'it fell back through every transport');
    client.close();
    for (const { attempt, delayMs } of delays) assert.ok(delayMs >= 0 && delayMs <= Math.min(40, 10 * 2 ** (attempt - 1)), JSON.stringify({ attempt, delayMs }));
  });
});
