/**
 * The Pusher HTTP API and webhooks, driven by the unmodified `pusher` server SDK: triggers,
 * channel queries, request signing (stale, tampered, replayed) and webhooks the SDK validates.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type Pusher from 'pusher';
import { sleep, startServer, TestClient, waitUntil, type TestServer } from '../../test/helpers.js';
import { hmacHex, md5Hex, requestSigningText } from './signature.js';
import { connected, disconnectAll, newApp, pusherClient, record, serverSdk, subscribed, type PusherJs, type TestApp } from '../../test/pusher.js';

const rand = () => Math.random().toString(36).slice(2, 10);

interface Captured {
  method: string;
  url: string;
  body: string;
  headers: IncomingHttpHeaders;
}

/** A loopback HTTP server that records each request and answers `{}` (a backend, or a place to capture the SDK's signed requests). */
async function capture(): Promise<{ url: string; requests: Captured[]; close(): Promise<void> }> {
  const requests: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString(), headers: req.headers });
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Send a captured signed request to `url` as it was. */
function resend(url: string, r: Captured, body = r.body) {
  return fetch(url + r.url, { method: r.method, body: r.method === 'GET' ? undefined : body, headers: { 'content-type': 'application/json' } });
}

/** Run `fn` while this process's clock reads `offsetMs` off; only the synchronous part (where the SDK signs) sees it. */
function skewed<T>(offsetMs: number, fn: () => T): T {
  const real = Date.now;
  Date.now = () => real() + offsetMs;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

describe('pusher HTTP API and webhooks', () => {
  let server: TestServer;
  let app: TestApp;
  let guarded: TestApp;
  let delayed: TestApp;
  let sdk: Pusher;
  let hooks: Awaited<ReturnType<typeof capture>>;
  const clients: PusherJs[] = [];

  before(async () => {
    app = newApp();
    guarded = newApp();
    delayed = newApp();
    hooks = await capture();
    server = await startServer({
      pusher: {
        apps: [
          { ...app, webhooks: [{ url: `${hooks.url}/pusher` }], webhook_delay_ms: 100 },
          { ...guarded, replay_protection: true },
          { ...delayed, webhooks: [{ url: `${hooks.url}/delayed`, events: ['channel_occupied', 'channel_vacated'] }], webhook_delay_ms: 800 },
        ],
      },
    });
    sdk = serverSdk(app, server.url);
  });
  after(async () => {
    disconnectAll(clients);
    await server.close();
    await hooks.close();
  });

  it('triggers to 100 channels at once, and in a batch', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `many-${rand()}-${i}`);
    const herald = await TestClient.connect(server.wsUrl);
    await herald.subscribe(`pusher-${app.id}:${names[0]}`);
    await herald.subscribe(`pusher-${app.id}:${names[99]}`);
    const res = await sdk.trigger(names, 'ev', 'plain text');
    assert.equal(res.status, 200);
    const got = await herald.waitForMessages(2);
    assert.deepEqual(got.map((m) => m.data), ['plain text', 'plain text']);
    // The SDK refuses 101 channels itself; the server must too, for SDKs that do not.
    const body = JSON.stringify({ name: 'ev', data: '{}', channels: [...names, 'one-more'] });
    const path = `/apps/${app.id}/events`;
    const params = new Map([['auth_key', app.key], ['auth_timestamp', String(Math.floor(Date.now() / 1000))], ['auth_version', '1.0'], ['body_md5', md5Hex(body)]]);
    const query = [...params].map(([k, v]) => `${k}=${v}`).join('&');
    const signature = hmacHex(app.secret, requestSigningText('POST', path, params));
    const over = await fetch(`${server.url}${path}?${query}&auth_signature=${signature}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(over.status, 400, await over.text());
    await assert.rejects(sdk.trigger(names[0]!, 'ev', 'x'.repeat(10_241)), (err: { status?: number }) => err.status === 413);

    const pusher = pusherClient(app, server.url, sdk);
    clients.push(pusher);
    await connected(pusher);
    const [a, b] = await Promise.all([subscribed(pusher, `batch-a-${rand()}`), subscribed(pusher, `batch-b-${rand()}`)]);
    const gotA = record(a, 'one');
    const gotB = record(b, 'two');
    const batch = await sdk.triggerBatch([
      { channel: a.name, name: 'one', data: { n: 1 } },
      { channel: b.name, name: 'two', data: { n: 2 }, info: 'subscription_count' },
    ]);
    assert.deepEqual(await batch.json(), { batch: [{}, { subscription_count: 1 }] });
    await waitUntil(() => (gotA.length && gotB.length) || undefined, 5000, () => 'batch events');
    assert.deepEqual([gotA, gotB], [[{ n: 1 }], [{ n: 2 }]]);
    herald.close();
  });

  it('answers channel queries', async () => {
    const id = rand();
    const pusher = pusherClient(app, server.url, sdk, { user: { id: 'q1' } });
    clients.push(pusher);
    await connected(pusher);
    await subscribed(pusher, `presence-q-${id}`);
    await subscribed(pusher, `room-${id}`);
    const list = (await (await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-q-', info: 'user_count' } })).json()) as { channels: Record<string, { user_count: number }> };
    assert.deepEqual(list.channels[`presence-q-${id}`], { user_count: 1 });
    assert.equal(list.channels[`room-${id}`], undefined, 'the prefix filters');
    const one = await (await sdk.get({ path: `/channels/room-${id}`, params: { info: 'subscription_count' } })).json();
    assert.deepEqual(one, { occupied: true, subscription_count: 1 });
    const empty = await (await sdk.get({ path: `/channels/nobody-${id}` })).json();
    assert.deepEqual(empty, { occupied: false });
    await assert.rejects(sdk.get({ path: '/channels', params: { info: 'user_count' } }), /400/);
    await assert.rejects(sdk.get({ path: `/channels/room-${id}/users` }), /400/);
  });

  it('refuses a stale, a tampered and (where the app opts in) a replayed signed request', async () => {
    const stale = skewed(-700_000, () => sdk.trigger('ch', 'ev', {}));
    await assert.rejects(stale, (err: { status?: number }) => err.status === 401);
    const skewedOk = skewed(-500_000, () => sdk.trigger('ch', 'ev', {}));
    assert.equal((await skewedOk).status, 200, 'within ±600 s is accepted');

    const cap = await capture();
    try {
      for (const a of [app, guarded]) await serverSdk(a, cap.url).trigger('ch', 'ev', { n: 1 });
      const [open, guard] = cap.requests;
      assert.equal((await resend(server.url, open!, open!.body.replace('1', '2'))).status, 401, 'tampered body');
      assert.equal((await resend(server.url, open!)).status, 200);
      assert.equal((await resend(server.url, open!)).status, 200, 'replays pass for an app without replay protection');
      assert.equal((await resend(server.url, guard!)).status, 200);
      assert.equal((await resend(server.url, guard!)).status, 401, 'the replay is refused');
      const other = serverSdk(guarded, server.url);
      assert.equal((await other.trigger('ch', 'ev', { n: 2 })).status, 200, 'a new request of that app still passes');
    } finally {
      await cap.close();
    }
  });

  it('sends webhooks in Pusher format that the SDK validates', async () => {
    hooks.requests.length = 0;
    const name = `presence-hook-${rand()}`;
    const a = pusherClient(app, server.url, sdk, { user: { id: 'hook-a' } });
    const b = pusherClient(app, server.url, sdk, { user: { id: 'hook-b' } });
    clients.push(a, b);
    await Promise.all([connected(a), connected(b)]);
    const chA = await subscribed(a, name);
    await subscribed(b, name);
    chA.trigger('client-hi', { x: 1 });
    b.unsubscribe(name);
    a.unsubscribe(name);
    // Only this channel's: channels of the tests before may still be vacating.
    const mine = () => hooks.requests.filter((r) => (JSON.parse(r.body) as { events: Array<{ channel: string }> }).events[0]!.channel === name);
    const names = () => mine().flatMap((r) => (JSON.parse(r.body) as { events: Array<{ name: string }> }).events.map((e) => e.name));
    await waitUntil(() => names().includes('channel_vacated') || undefined, 5000, () => `channel_vacated in ${names().join()}`);
    await sleep(150);
    assert.deepEqual(names().sort(), ['channel_occupied', 'channel_vacated', 'client_event', 'member_added', 'member_added', 'member_removed', 'member_removed']);
    for (const r of mine()) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-pusher-key'], app.key);
      const webhook = sdk.webhook({ headers: r.headers as Record<string, string>, rawBody: r.body });
      assert.ok(webhook.isValid(), r.body);
      assert.equal(typeof webhook.getTime().getTime(), 'number');
    }
    const client = hooks.requests.map((r) => JSON.parse(r.body) as { events: Array<Record<string, unknown>> }).flatMap((r) => r.events).find((e) => e.name === 'client_event');
    assert.deepEqual(client, { name: 'client_event', channel: name, event: 'client-hi', data: '{"x":1}', socket_id: a.connection.socket_id, user_id: 'hook-a' });
    const forgedBody = hooks.requests[0]!.body.replace('time_ms', 'time_mz');
    const forged = sdk.webhook({ headers: { ...(hooks.requests[0]!.headers as Record<string, string>) }, rawBody: forgedBody });
    assert.equal(forged.isValid(), false);
  });

  it('drops a channel_vacated whose channel is occupied again within webhook_delay_ms, with its channel_occupied', async () => {
    const name = `room-${rand()}`;
    const seen = () => hooks.requests.filter((r) => r.url === '/delayed').map((r) => (JSON.parse(r.body) as { events: Array<{ name: string; channel: string }> }).events[0]!).filter((e) => e.channel === name).map((e) => e.name);
    const pusher = pusherClient(delayed, server.url, serverSdk(delayed, server.url));
    clients.push(pusher);
    await connected(pusher);
    await subscribed(pusher, name);
    await waitUntil(() => seen().length || undefined, 5000, () => 'channel_occupied');
    pusher.unsubscribe(name);
    await subscribed(pusher, name);
    await sleep(1100);
    assert.deepEqual(seen(), ['channel_occupied'], 'a re-subscribe within the delay sends nothing');
    pusher.unsubscribe(name);
    await waitUntil(() => seen().length === 2 || undefined, 5000, () => 'channel_vacated');
    assert.deepEqual(seen(), ['channel_occupied', 'channel_vacated']);
  });
});
