/**
 * The demo pages in headless Chromium: two chat pages see each other's presence and messages,
 * and a backend publish pops up on the notifications page. Also: the pages can be turned off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type Browser } from '../test/browser.js';
import { api, publish, startServer, type TestServer } from '../test/helpers.js';

// Page expressions are strings: they run in the browser, and this package compiles without DOM types.
describe('demo pages in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('two chat pages see each other in presence and exchange messages', async () => {
    const alice = await browser.open(`${server.url}/demo/chat.html?room=t1`);
    await alice.waitForFunction("document.querySelectorAll('#members li').length === 1");
    const bob = await browser.open(`${server.url}/demo/chat.html?room=t1`);
    await bob.waitForFunction("document.querySelectorAll('#members li').length === 2");
    await alice.waitForFunction("document.querySelectorAll('#members li').length === 2");
    assert.equal(await alice.locator('#members li', { hasText: '(you)' }).count(), 1);

    // Typing shows in the other page's member list (presence_update), and stops on send.
    await bob.fill('#text', 'hello from bob');
    await alice.waitForFunction("document.querySelector('#members')?.textContent?.includes('is typing')");
    await bob.click('button[type=submit]');
    await alice.waitForFunction("document.querySelector('#messages')?.textContent?.includes('hello from bob')");
    await alice.waitForFunction("!document.querySelector('#members')?.textContent?.includes('is typing')");
    const line = await alice.locator('#messages li').first().textContent();
    assert.doesNotMatch(line ?? '', /\(you\)/, 'the sender is bob, not alice');

    await bob.close();
    await alice.waitForFunction("document.querySelectorAll('#members li').length === 1");
  });

  it('a backend publish shows up as a notification', async () => {
    const page = await browser.open(`${server.url}/demo/notifications.html`);
    await page.waitForFunction("document.querySelector('#status')?.textContent === 'connected'");
    // Subscribed right after connecting; wait for the channel to exist before publishing.
    for (let i = 0; i < 100 && server.herald.hub.subscriberCount('demo:notifications') === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await publish(server, 'demo:notifications', { title: 'Order shipped', body: '#1042 is on its way' })).status, 200);
    await page.waitForSelector('.toast');
    assert.match((await page.locator('.toast').first().textContent()) ?? '', /Order shipped.*#1042 is on its way/);
    await page.close();
  });

  it('serves nothing under /demo/ with server.demo off', async () => {
    const off = await startServer({ server: { demo: false } });
    try {
      assert.equal((await api(off, '/demo/chat.html')).status, 404);
      assert.equal((await api(off, '/client.js')).status, 200);
    } finally {
      await off.close();
    }
    assert.equal((await api(server, '/demo/')).status, 200);
  });
});
