/**
 * pusher-js's HTTP fallbacks against a real node: the unmodified `pusher-js` (Node build) on
 * `xhr_streaming` only and on `xhr_polling` only, with the same Pusher semantics as its WebSocket
 * (channels, signatures, presence, client events, sign-in), and the session framing itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Pusher from 'pusher';
import { publish, sleep, startServer, waitUntil, type TestServer } from '../../test/helpers.js';
import { connected, disconnectAll, newApp, pusherClient, record, serverSdk, subscribed, type ClientOptions, type PusherJs, type TestApp } from '../../test/pusher.js';

const rand = () => Math.random().toString(36).slice(2, 10);
const FALLBACKS = ['xhr_streaming', 'xhr_polling'] as const;

/** The transport pusher-js is connected over (its connection manager does not expose it publicly). */
function transportOf(client: PusherJs): string | undefined {
  return (client.connection as unknown as { connection?: { transport?: { name?: string } } }).connection?.transport?.name;
}

describe('pusher-js HTTP fallbacks', () => {
  let server: TestServer;
  let app: TestApp;
  let sdk: Pusher;
  const clients: PusherJs[] = [];
  const client = (transport: ClientOptions['transports'], user?: ClientOptions['user'], signer = sdk) => {
    const c = pusherClient(app, server.url, signer, { transports: transport, ...(user ? { user } : {}) });
    clients.push(c);
    return c;
  };

  before(async () => {
    app = newApp();
    server = await startServer({ limits: { max_frame_bytes: 8192 }, pusher: { apps: [{ ...app, allowed_origins: ['http://good.example'] }] } });
    sdk = serverSdk(app, server.url);
  });
  after(async () => {
    disconnectAll(clients);
    await server.close();
  });

  for (const transport of FALLBACKS) {
    it(`${transport}: public, private (bad signature refused, connection kept) and Herald publishes`, async () => {
      const pusher = client([transport]);
      assert.match(await connected(pusher, 10_000), /^\d+\.\d+$/);
      assert.equal(transportOf(pusher), transport);
      const name = `orders-${rand()}`;
      const channel = await subscribed(pusher, name);
      const got = record(channel, 'updated');
      await sdk.trigger(name, 'updated', { n: 1 });
      assert.equal((await publish(server, `pusher-${app.id}:${name}`, { n: 2 }, 'updated')).status, 200);
      const priv = await subscribed(pusher, `private-${rand()}`);
      const gotPrivate = record(priv, 'secret');
      await sdk.trigger(priv.name, 'secret', 'text, not JSON');
      await waitUntil(() => (got.length >= 2 && gotPrivate.length >= 1) || undefined, 5000, () => `events, got ${JSON.stringify([got, gotPrivate])}`);
      assert.deepEqual(got, [{ n: 1 }, { n: 2 }]);
      assert.deepEqual(gotPrivate, ['text, not JSON']);

      const forged = client([transport], undefined, serverSdk({ ...app, secret: 'not-the-secret' }, server.url));
      await connected(forged, 10_000);
      await assert.rejects(subscribed(forged, `private-${rand()}`), (err: Error & { detail?: { status: number } }) => err.detail?.status === 401);
      assert.equal(forged.connection.state, 'connected');
      await subscribed(forged, `public-${rand()}`);
      forged.disconnect();
    });

    it(`${transport}: presence, client events both ways (not echoed), sign-in and sendToUser, member_removed once when the session ends`, async () => {
      const name = `presence-${rand()}`;
      const watcher = client(['ws'], { id: 'w', info: { name: 'W' } });
      const http = client([transport], { id: 'h', info: { name: 'H' } });
      await Promise.all([connected(watcher), connected(http, 10_000)]);
      const watching = await subscribed(watcher, name);
      const added = record(watching, 'pusher:member_added');
      const removed = record(watching, 'pusher:member_removed');
      const joined = await subscribed(http, name);
      assert.equal((joined as unknown as { members: { count: number } }).members.count, 2);
      await waitUntil(() => added.length >= 1 || undefined, 5000, () => 'member_added');
      assert.deepEqual(added, [{ id: 'h', info: { name: 'H' } }]);

      const atWatcher = record(watching, 'client-typing');
      const atHttp = record(joined, 'client-typing');
      joined.trigger('client-typing', { from: 'h' });
      watching.trigger('client-typing', { from: 'w' });
      await waitUntil(() => (atWatcher.length >= 1 && atHttp.length >= 1) || undefined, 5000, () => 'client events');
      await sleep(200);
      assert.deepEqual(atWatcher, [{ from: 'h' }]);
      assert.deepEqual(atHttp, [{ from: 'w' }]);

      http.signin();
      await http.user.signinDonePromise;
      const notices: unknown[] = [];
      http.user.bind('notice', (d: unknown) => notices.push(d));
      await sdk.sendToUser('h', 'notice', { hello: 'h' });
      await waitUntil(() => notices.length >= 1 || undefined, 5000, () => 'sendToUser');
      assert.deepEqual(notices, [{ hello: 'h' }]);

      // pusher-js sends nothing when it drops an HTTP session: the server notices the missing requests.
      http.disconnect();
      await waitUntil(() => removed.length >= 1 || undefined, 10_000, () => 'member_removed');
      await sleep(300);
      assert.deepEqual(removed, [{ id: 'h', info: { name: 'H' } }]);
    });
  }

  it('frames sessions as SockJS does: open, frames, sends, refusals, CORS', async () => {
    const base = `${server.url}/pusher/app/${app.key}/123/${rand()}`;
    const post = (path: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });

    assert.equal((await post('xhr_send', '[]')).status, 404, 'no session yet');
    assert.equal(await (await post('xhr?protocol=7')).text(), 'o\n');
    const established = await (await post('xhr?protocol=7')).text();
    assert.match(established, /^a\["\{\\"event\\":\\"pusher:connection_established\\"/);
    assert.equal((await post('xhr_send', 'not json')).status, 400);
    assert.equal((await post('xhr_send', '[1]')).status, 400);
    assert.equal((await post('xhr_send', JSON.stringify(['x'.repeat(9000)]))).status, 413);
    assert.equal((await post('xhr_send', JSON.stringify([JSON.stringify({ event: 'pusher:ping', data: {} })]))).status, 204);
    const lines = (await (await post('xhr')).text()).split('\n');
    assert.deepEqual(JSON.parse(lines[0]!.slice(1)).map((f: string) => JSON.parse(f).event), ['pusher:pong']);

    const refused = await fetch(`${server.url}/pusher/app/no-such-key/1/${rand()}/xhr_streaming?protocol=7`, { method: 'POST' });
    const body = (await refused.text()).split('\n');
    assert.equal(body[0], 'o');
    assert.equal(JSON.parse(JSON.parse(JSON.parse(body[1]!.slice(1))[0]).data).code, 4001);
    assert.deepEqual(JSON.parse(body[2]!.slice(1)), [4001, 'App key does not exist']);

    const preflight = (origin: string) => fetch(`${base}/xhr_send`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const good = await preflight('http://good.example');
    assert.equal(good.status, 204);
    assert.equal(good.headers.get('access-control-allow-origin'), 'http://good.example');
    assert.equal((await preflight('http://evil.example')).status, 403);
    // Pusher's own protocol, not Herald's API: left out of the OpenAPI document.
    const openapi = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.deepEqual(Object.keys(openapi.paths).filter((p) => p.startsWith('/pusher/')), []);
    const evil = await fetch(`${server.url}/pusher/app/${app.key}/1/${rand()}/xhr?protocol=7`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    assert.match(await evil.text(), /^o\na.*4009.*\nc\[4009,/s);
  });

  it('ends open streams with a 4200 close line when the node shuts down', async () => {
    const other = newApp();
    const node = await startServer({ pusher: { apps: [other] } });
    const res = await fetch(`${node.url}/pusher/app/${other.key}/7/${rand()}/xhr_streaming?protocol=7`, { method: 'POST' });
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
      }
    })();
    await waitUntil(() => text.includes('connection_established') || undefined, 5000, () => 'handshake on the stream');
    await node.close();
    await reading;
    assert.match(text, /\nc\[4200,"server restart: reconnect"\]\n$/);
  });
});
