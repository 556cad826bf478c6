/**
 * pusher-js and Laravel Echo in headless Chromium, unmodified (their browser bundles from
 * node_modules), against a real node on another origin: the page's backend signs channels with
 * the `pusher` SDK; the node checks the page's Origin, and answers the HTTP fallbacks' CORS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type Pusher from 'pusher';
import { launchBrowser, type Browser } from '../../test/browser.js';
import { startServer, waitUntil, type TestServer } from '../../test/helpers.js';
import { connected, newApp, pusherClient, pusherHostOptions, serverSdk, subscribed, type PusherJs, type TestApp } from '../../test/pusher.js';
import { startPusherPage, type PusherPage } from '../../test/pusher-page.js';

const rand = () => Math.random().toString(36).slice(2, 10);

type Logged = [string, ...unknown[]];

/** Runs in the page: `window.__log` collects what the page's clients see. */
const LOG = 'window.__log = []; window.__seen = (...entry) => window.__log.push(entry);';

async function logOf(page: Page): Promise<Logged[]> {
  return (await page.evaluate('window.__log')) as Logged[];
}

async function waitForLog(page: Page, what: string, match: (entry: Logged) => boolean, count = 1, timeoutMs = 10_000): Promise<Logged[]> {
  let found: Logged[] = [];
  await waitUntil(async () => (found = (await logOf(page)).filter(match)).length >= count || undefined, timeoutMs, () => `${what} in Chromium; log: ${JSON.stringify(found)}`);
  return found;
}

describe('pusher-js and Laravel Echo in Chromium', () => {
  let browser: Browser;
  let page: PusherPage;
  let server: TestServer;
  let app: TestApp;
  let sdk: Pusher;
  const nodeClients: PusherJs[] = [];

  before(async () => {
    app = newApp();
    page = await startPusherPage(() => sdk);
    // Only the page's origin may connect: the fallbacks' CORS answers and the WebSocket's Origin check are both exercised.
    server = await startServer({ pusher: { apps: [{ ...app, allowed_origins: [page.origin] }] } });
    sdk = serverSdk(app, server.url);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of nodeClients) c.disconnect();
    await browser?.close();
    await server?.close();
    await page?.close();
  });

  /** pusher-js options pointing the page at the node, on `transports` only, signing as `user`. */
  const options = (transports: string[], user: string) => ({
    ...pusherHostOptions(server.url),
    enabledTransports: transports,
    channelAuthorization: { endpoint: `/auth?user=${user}`, transport: 'ajax' },
    userAuthentication: { endpoint: `/user-auth?user=${user}`, transport: 'ajax' },
  });

  for (const transport of ['ws', 'xhr_streaming', 'xhr_polling']) {
    it(`pusher-js on ${transport}: public, private and presence channels, triggers, client events`, async () => {
      const names = { pub: `news-${rand()}`, priv: `private-${rand()}`, pres: `presence-${rand()}` };
      const tab = await browser.open(`${page.origin}/`);
      await tab.evaluate(LOG);
      await tab.evaluate(`(() => {
        const p = new Pusher(${JSON.stringify(app.key)}, ${JSON.stringify(options([transport], 'ann'))});
        window.__pusher = p;
        p.connection.bind('connected', () => __seen('connected', p.connection.connection.transport.name));
        for (const name of ${JSON.stringify(Object.values(names))}) {
          const ch = p.subscribe(name);
          ch.bind('pusher:subscription_succeeded', (m) => __seen('subscribed', name, m && m.count));
          ch.bind('ev', (d) => __seen('ev', name, d));
          ch.bind('client-hi', (d) => __seen('client-hi', name, d));
        }
      })()`);
      await waitForLog(tab, 'connected', (e) => e[0] === 'connected');
      assert.deepEqual((await logOf(tab)).find((e) => e[0] === 'connected'), ['connected', transport]);
      await waitForLog(tab, 'three subscriptions', (e) => e[0] === 'subscribed', 3);

      // A Node client on the same private and presence channels: both directions of client events.
      const other = pusherClient(app, server.url, sdk, { user: { id: 'bob' } });
      nodeClients.push(other);
      await connected(other);
      const priv = await subscribed(other, names.priv);
      const pres = await subscribed(other, names.pres);
      assert.equal((pres as unknown as { members: { count: number } }).members.count, 2);
      const fromPage: unknown[] = [];
      priv.bind('client-hi', (d: unknown) => fromPage.push(d));
      await tab.evaluate(`__pusher.channel(${JSON.stringify(names.priv)}).trigger('client-hi', { from: 'page' })`);
      priv.trigger('client-hi', { from: 'node' });

      await sdk.trigger(Object.values(names), 'ev', { n: 1 });
      const events = await waitForLog(tab, 'three events', (e) => e[0] === 'ev', 3);
      assert.deepEqual(events.map((e) => e[1]).sort(), Object.values(names).sort());
      assert.ok(events.every((e) => (e[2] as { n: number }).n === 1));
      await waitForLog(tab, 'client event from node', (e) => e[0] === 'client-hi');
      await waitUntil(() => fromPage.length >= 1 || undefined, 5000, () => 'client event from the page');
      assert.deepEqual(fromPage, [{ from: 'page' }]);
      assert.deepEqual((await logOf(tab)).filter((e) => e[0] === 'client-hi'), [['client-hi', names.priv, { from: 'node' }]], 'no echo of its own');
      other.disconnect();
      await tab.close();
    });
  }

  it('Laravel Echo (Pusher connector) receives a broadcast, whispers, and tracks presence here/joining/leaving', async () => {
    const orders = `orders-${rand()}`;
    const room = `room-${rand()}`;
    const echoPage = async (user: string) => {
      const tab = await browser.open(`${page.origin}/`);
      await tab.evaluate(LOG);
      await tab.evaluate(`(() => {
        const echo = new Echo.default({ broadcaster: 'pusher', key: ${JSON.stringify(app.key)}, ...${JSON.stringify(options(['ws'], user))}, authEndpoint: '/auth?user=${user}' });
        window.__echo = echo;
        echo.channel(${JSON.stringify(orders)}).listen('OrderShipped', (e) => __seen('shipped', e));
        echo.private(${JSON.stringify(room)}).listenForWhisper('typing', (e) => __seen('typing', e));
        echo.join(${JSON.stringify(room)})
          .here((users) => __seen('here', users.map((u) => u.name).sort()))
          .joining((u) => __seen('joining', u.name))
          .leaving((u) => __seen('leaving', u.name));
      })()`);
      return tab;
    };
    const alice = await echoPage('alice');
    await waitForLog(alice, 'here', (e) => e[0] === 'here');
    assert.deepEqual((await logOf(alice)).find((e) => e[0] === 'here'), ['here', ['alice']]);

    // What Laravel's Pusher broadcaster sends for `broadcast(new OrderShipped($order))`.
    await sdk.trigger(orders, 'App\\Events\\OrderShipped', { order: { id: 7 } });
    const shipped = await waitForLog(alice, 'OrderShipped', (e) => e[0] === 'shipped');
    assert.deepEqual(shipped, [['shipped', { order: { id: 7 } }]]);

    const bob = await echoPage('bob');
    await waitForLog(bob, 'here at bob', (e) => e[0] === 'here');
    assert.deepEqual((await logOf(bob)).find((e) => e[0] === 'here'), ['here', ['alice', 'bob']]);
    await waitForLog(alice, 'joining', (e) => e[0] === 'joining');
    await waitUntil(async () => (await bob.evaluate(`__echo.connector.channels['private-${room}'].subscription.subscribed`)) === true || undefined, 5000, () => 'bob on the private channel');
    await bob.evaluate(`__echo.private(${JSON.stringify(room)}).whisper('typing', { who: 'bob' })`);
    await waitForLog(alice, 'whisper', (e) => e[0] === 'typing');

    await bob.close();
    await waitForLog(alice, 'leaving', (e) => e[0] === 'leaving');
    await new Promise((r) => setTimeout(r, 500));
    const log = await logOf(alice);
    assert.deepEqual(log.filter((e) => e[0] === 'joining' || e[0] === 'leaving'), [['joining', 'bob'], ['leaving', 'bob']]);
    assert.deepEqual(log.filter((e) => e[0] === 'typing'), [['typing', { who: 'bob' }]]);
    await alice.close();
  });
});
