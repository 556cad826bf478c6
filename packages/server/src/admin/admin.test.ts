/**
 * The admin page: its API and protection, and the page itself in headless Chromium (sign in,
 * live counters that move through Herald's own stats channel, the publish form).
 * HERALD_ADMIN_SCREENSHOT=docs/admin.png also saves a screenshot of the signed-in page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CloseCode, ErrorCode } from '@herald/protocol';
import { MemoryBroker } from '../broker/memory.js';
import { HeraldError } from '../errors.js';
import { launchBrowser, type Browser } from '../test/browser.js';
import { api, publish, signJwt, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { adminChannel } from './admin.js';

const TOKEN = 'admin-token-0123456789';

type Check = 'equals' | 'not-empty' | 'includes';
/** Wait until element `id`'s text passes `check`. A function, not a string: the page's CSP forbids eval. */
function waitForText(page: Page, id: string, check: Check, value = '', timeout = 5000) {
  return page.waitForFunction(
    ([id, check, value]) => {
      const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document;
      const text = doc.getElementById(id)?.textContent ?? '';
      return check === 'equals' ? text === value : check === 'includes' ? text.includes(value) : text !== '';
    },
    [id, check, value] as const,
    { timeout },
  );
}

describe('admin page: API and protection', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ admin: { token: TOKEN }, server: { node_name: 'n-test' } });
  });
  after(() => server.close());

  it('is off without admin.token', async () => {
    const off = await startServer();
    try {
      assert.equal((await fetch(off.url + '/admin')).status, 404);
      assert.equal((await api(off, '/admin/api/session', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    } finally {
      await off.close();
    }
  });

  it('serves the page with a strict CSP; data needs the token', async () => {
    const page = await fetch(server.url + '/admin');
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal((await api(server, '/admin/api/session', { headers: { authorization: '' } })).status, 401);
    assert.equal((await api(server, '/admin/api/session', { headers: { authorization: 'Bearer wrong-admin-token-000' } })).status, 401);
    const session = await api(server, '/admin/api/session', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(session.status, 200);
    assert.equal(session.json.channel, '_herald:admin.n-test');
    assert.equal((session.json.snapshot as { node: string }).node, 'n-test');
  });

  it("lists a user's connections and disconnects one or all of them, with the admin token only", async () => {
    const secret = 'admin-users-jwt-secret-0123456789';
    const node = await startServer({ admin: { token: TOKEN }, auth: { jwt: { secrets: [secret] } } });
    try {
      const jwt = await signJwt(secret, 'u7');
      const clients = [await TestClient.connect(`${node.wsUrl}?token=${jwt}`), await TestClient.connect(`${node.wsUrl}?token=${jwt}`)];
      const admin = { authorization: `Bearer ${TOKEN}` };
      assert.equal((await api(node, '/admin/api/users/u7/connections')).status, 401, 'the API key is not the admin token');
      const listed = await api(node, '/admin/api/users/u7/connections', { headers: admin });
      const ids = clients.map((c) => (c.frames[0] as { client: string }).client);
      assert.deepEqual((listed.json.connections as Array<{ client: string }>).map((c) => c.client).sort(), [...ids].sort());
      const one = await api(node, '/admin/api/users/u7/disconnect', { headers: admin, body: { client: ids[0] } });
      assert.equal(one.json.disconnected, 1);
      assert.equal((await clients[0]!.closed).code, CloseCode.ServerReconnect);
      assert.equal((await api(node, '/admin/api/users/u7/disconnect', { headers: admin, body: {} })).json.disconnected, 1);
      assert.equal((await clients[1]!.closed).code, CloseCode.ServerReconnect);
    } finally {
      await node.close();
    }
  });

  it('the stats channel needs the admin token; nobody can publish to it', async () => {
    const channel = adminChannel('n-test');
    const c = await TestClient.connect(server.wsUrl);
    const refused = await c.request({ type: 'subscribe', channel });
    assert.equal('error' in refused && refused.error.code, 'forbidden');
    const wrong = await c.request({ type: 'subscribe', channel, token: 'not-the-admin-token' });
    assert.equal('error' in wrong && wrong.error.code, 'forbidden');
    assert.equal((await publish(server, channel, 'fake')).status, 403);
    await c.subscribe(channel).catch(() => {});
    const ok = await c.request({ type: 'subscribe', channel, token: TOKEN });
    assert.ok('ok' in ok, JSON.stringify(ok));
    const stats = await c.waitFor((f) => f.type === 'message' && f.channel === channel, 3000);
    assert.equal((stats as { event?: string }).event, 'stats');
    c.close();
  });

  it('publishes a test message for an admin, as the API would', async () => {
    const c = await TestClient.connect(server.wsUrl);
    await c.subscribe('from-admin');
    const res = await api(server, '/admin/api/publish', { body: { channel: 'from-admin', event: 'test', data: { ok: true } }, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const [m] = await c.waitForMessages(1);
    assert.deepEqual(m!.data, { ok: true });
    assert.equal((await api(server, '/admin/api/publish', { body: { channel: 'from-admin', data: 1 } })).status, 401, 'a publisher key is not the admin token');
    c.close();
  });
});

describe('admin page: recent errors', () => {
  it('lists failed requests (5xx) and authentication refusals', async () => {
    /** An engine that is down for publishes. */
    class DownBroker extends MemoryBroker {
      override async publish(): Promise<never> {
        throw new HeraldError(ErrorCode.Unavailable, 'engine unavailable');
      }
    }
    const broker = new DownBroker();
    const server = await startServer({ admin: { token: TOKEN } }, { broker });
    try {
      assert.equal((await publish(server, 'x', 1)).status, 503);
      assert.equal((await api(server, '/admin/api/session', { headers: { authorization: 'Bearer wrong-admin-token-000' } })).status, 401);
      const session = await api(server, '/admin/api/session', { headers: { authorization: `Bearer ${TOKEN}` } });
      const errors = (session.json.snapshot as { errors: Array<{ kind: string; message: string }> }).errors;
      assert.deepEqual(errors.map((e) => e.kind), ['http', 'auth']);
      assert.match(errors[0]!.message, /^POST \/api\/publish: 503 unavailable: engine unavailable$/);
      assert.match(errors[1]!.message, /admin authentication refused: invalid_credentials/);
    } finally {
      await server.close();
      await broker.close();
    }
  });
});

describe('admin page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    server = await startServer({ admin: { token: TOKEN }, server: { node_name: 'herald-1' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in, shows live counters that move when a client connects, and publishes from the form', async () => {
    const page = await browser.open(server.url + '/admin');
    const cspErrors: string[] = [];
    // The wrong-token attempt logs its 401 and Chromium may ask for /favicon.ico; anything else
    // (a CSP violation, a script error) fails the test.
    page.on('console', (m) => {
      if (m.type() !== 'error' || m.text().includes('status of 401') || m.location().url.endsWith('/favicon.ico')) return;
      cspErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (err) => cspErrors.push(err.message));
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login button[type=submit]');
    await waitForText(page, 'login-error', 'not-empty');
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#dashboard:not([hidden])');
    assert.equal(await page.textContent('#node-name'), 'herald-1');
    // The page's own live connection counts; wait for its first stats message.
    await waitForText(page, 'connections-total', 'equals', '1');

    const subscriber = await TestClient.connect(server.wsUrl);
    await subscriber.subscribe('admin-demo');
    await waitForText(page, 'connections-total', 'equals', '2');
    for (let i = 0; i < 5; i++) await publish(server, 'admin-demo', i);
    await waitForText(page, 'top-subscribers', 'includes', 'admin-demo');

    await page.fill('#pub-channel', 'admin-demo');
    await page.fill('#pub-event', 'hello');
    await page.fill('#pub-data', '{"from":"the admin page"}');
    await page.click('#publish button[type=submit]');
    const messages = await subscriber.waitForMessages(6);
    assert.deepEqual(messages.at(-1)!.data, { from: 'the admin page' });
    assert.equal(messages.at(-1)!.event, 'hello');
    await waitForText(page, 'publish-result', 'includes', 'Published');
    assert.deepEqual(cspErrors, [], 'no CSP violations or script errors');

    const shot = process.env.HERALD_ADMIN_SCREENSHOT;
    if (shot) {
      // Some traffic for the rate table and sparkline, then a frame after the next stats message.
      for (let i = 0; i < 40; i++) {
        await publish(server, i % 3 === 0 ? 'orders:42' : 'admin-demo', i);
        await sleep(75);
      }
      await sleep(1100);
      await page.setViewportSize({ width: 1000, height: 900 });
      await page.screenshot({ path: shot, fullPage: true });
    }
    subscriber.close();
    await page.close();
  });

  it("looks up a user's connections on every node and disconnects one, then all", async () => {
    const secret = 'admin-page-jwt-secret-0123456789';
    const node = await startServer({ admin: { token: TOKEN }, auth: { jwt: { secrets: [secret] } }, server: { node_name: 'herald-2' } });
    const page = await browser.open(node.url + '/admin');
    try {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      const jwt = await signJwt(secret, 'u9');
      const clients = [await TestClient.connect(`${node.wsUrl}?token=${jwt}`), await TestClient.connect(`${node.wsUrl}?token=${jwt}`)];
      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#dashboard:not([hidden])');
      await page.fill('#user-id', 'u9');
      await page.click('#user-form button[type=submit]');
      await waitForText(page, 'user-result', 'includes', '2 connection(s) of u9');
      const first = (clients[0]!.frames[0] as { client: string }).client;
      assert.ok((await page.textContent('#user-connections'))!.includes('herald-2'));
      await page.click(`#user-connections button[data-client="${first}"]`);
      assert.equal((await clients[0]!.closed).code, CloseCode.ServerReconnect);
      await waitForText(page, 'user-result', 'includes', 'Disconnected 1 connection(s) of u9');
      await page.click('#user-disconnect-all');
      assert.equal((await clients[1]!.closed).code, CloseCode.ServerReconnect);
      await waitForText(page, 'user-result', 'includes', 'Disconnected 1 connection(s) of u9');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await node.close();
    }
  });
});
