/**
 * SSE in a real browser: Chromium's own EventSource, with its own reconnect and Last-Event-ID.
 * The page is served by the node under test, through a TCP proxy the test can cut.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import type { Page } from 'playwright-core';
import type { ClientAuthenticator } from '../auth/client.js';
import { HeraldError } from '../errors.js';
import { launchBrowser, type Browser } from '../test/browser.js';
import { publish, sleep, startServer, waitUntil, type TestServer } from '../test/helpers.js';
import { startProxy, type Proxy } from '../test/proxy.js';

/** Runs in the page: opens an EventSource and records every event Herald sends, and every failure. */
const RECORDER = `
  window.__events = [];
  window.__open = (url) => {
    const es = new EventSource(url);
    window.__es = es;
    for (const type of ['message', 'subscribed', 'error', 'updated']) {
      es.addEventListener(type, (e) => {
        if (e.data === undefined) window.__events.push({ type: 'failure', readyState: es.readyState });
        else window.__events.push({ type, data: JSON.parse(e.data), id: e.lastEventId });
      });
    }
  };
`;

interface PageEvent {
  type: string;
  data: { type: string; channel: string; data?: unknown; recovered?: boolean; [key: string]: unknown };
  id: string;
  readyState?: number;
}

class PageStream {
  private constructor(readonly page: Page) {}

  /** Opens a page of `origin` whose EventSource reads `/sse?query` from the same origin. */
  static async open(browser: Browser, origin: string, query: string): Promise<PageStream> {
    const page = await browser.open(`${origin}/healthz`);
    await page.evaluate(RECORDER);
    await page.evaluate(`window.__open(${JSON.stringify(`/sse?${query}`)})`);
    return new PageStream(page);
  }

  events(): Promise<PageEvent[]> {
    return this.page.evaluate('window.__events') as Promise<PageEvent[]>;
  }

  async messages(channel?: string): Promise<PageEvent['data'][]> {
    return (await this.events()).filter((e) => e.data?.type === 'message' && (channel === undefined || e.data.channel === channel)).map((e) => e.data);
  }

  async waitFor(what: string, count: number, select: (events: PageEvent[]) => unknown[], timeoutMs = 10_000): Promise<void> {
    let seen = 0;
    await waitUntil(async () => (seen = select(await this.events()).length) >= count, timeoutMs, () => `${count} ${what} in Chromium (have ${seen})`);
  }

  waitForMessages(count: number): Promise<void> {
    return this.waitFor('messages', count, (events) => events.filter((e) => e.data?.type === 'message'));
  }

  waitForSubscribed(count: number): Promise<void> {
    return this.waitFor('subscribed events', count, (events) => events.filter((e) => e.type === 'subscribed'));
  }

  readyState(): Promise<number> {
    return this.page.evaluate('window.__es.readyState') as Promise<number>;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

const TOKEN = 'token=let-me-in';
const authenticateClient: ClientAuthenticator = async (req) => {
  if (new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') !== 'let-me-in') {
    throw new HeraldError(ErrorCode.Unauthorized, 'missing or invalid token');
  }
  return { user: 'u1' };
};

describe('SSE in Chromium', () => {
  let server: TestServer;
  let proxy: Proxy;
  let browser: Browser;
  before(async () => {
    server = await startServer({ sse: { retry_ms: 100 }, namespaces: { default: {}, wsonly: { transports: ['websocket'] } } }, { authenticateClient });
    proxy = await startProxy(Number(new URL(server.url).port));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
  });

  it('delivers live messages with their event names and stream ids', async () => {
    const stream = await PageStream.open(browser, proxy.url, `channel=b-live&${TOKEN}`);
    await stream.waitForSubscribed(1);
    const first = await publish(server, 'b-live', { n: 1 }, 'updated');
    await publish(server, 'b-live', 'plain');
    await stream.waitForMessages(2);
    const events = (await stream.events()).filter((e) => e.data.type === 'message');
    assert.deepEqual(events.map((e) => e.type), ['updated', 'message']);
    assert.deepEqual(events.map((e) => e.data.data), [{ n: 1 }, 'plain']);
    assert.equal(events[0]!.id, `${first.json.epoch as string}:${first.json.offset as number}`);
    await stream.close();
  });

  it('reconnects by itself after a dropped connection and resumes with no loss and no duplicate', async () => {
    const stream = await PageStream.open(browser, proxy.url, `channel=b-resume&${TOKEN}`);
    await stream.waitForSubscribed(1);
    let n = 0;
    for (let drop = 1; drop <= 2; drop++) {
      for (let i = 0; i < 5; i++) await publish(server, 'b-resume', ++n);
      await stream.waitForMessages(n);
      proxy.down();
      for (let i = 0; i < 5; i++) await publish(server, 'b-resume', ++n);
      await sleep(150);
      proxy.up();
      await stream.waitForSubscribed(drop + 1);
    }
    await publish(server, 'b-resume', ++n);
    await stream.waitForMessages(n);
    await sleep(50);
    assert.deepEqual((await stream.messages()).map((m) => m.data), Array.from({ length: n }, (_, i) => i + 1));
    const subscribed = (await stream.events()).filter((e) => e.type === 'subscribed').map((e) => e.data);
    assert.deepEqual(subscribed.map((s) => s.recovered), [undefined, true, true]);
    await stream.close();
  });

  it('resumes each of several channels from its own position', async () => {
    const channels = ['b-multi-a', 'b-multi-b', 'b-multi-c'];
    const stream = await PageStream.open(browser, proxy.url, `${channels.map((c) => `channel=${c}`).join('&')}&${TOKEN}`);
    await stream.waitForSubscribed(3);
    for (let i = 1; i <= 3; i++) {
      await publish(server, 'b-multi-a', `a${i}`);
      await publish(server, 'b-multi-c', `c${i}`);
    }
    await stream.waitForMessages(6);
    proxy.down();
    for (let i = 4; i <= 5; i++) {
      await publish(server, 'b-multi-a', `a${i}`);
      await publish(server, 'b-multi-b', `b${i}`);
    }
    await sleep(150);
    proxy.up();
    await stream.waitForSubscribed(6);
    await publish(server, 'b-multi-c', 'c4');
    await stream.waitForMessages(11);
    await sleep(50);
    const data = async (channel: string) => (await stream.messages(channel)).map((m) => m.data);
    assert.deepEqual(await data('b-multi-a'), ['a1', 'a2', 'a3', 'a4', 'a5']);
    assert.deepEqual(await data('b-multi-b'), ['b4', 'b5']);
    assert.deepEqual(await data('b-multi-c'), ['c1', 'c2', 'c3', 'c4']);
    await stream.close();
  });

  for (const [name, query] of [
    ['without a valid token (401)', 'channel=b-auth'],
    ['in a namespace that forbids SSE (403)', `channel=wsonly:x&${TOKEN}`],
  ]) {
    it(`gives up on a stream refused ${name}, receiving nothing`, async () => {
      const stream = await PageStream.open(browser, server.url, query!);
      await stream.waitFor('failures', 1, (events) => events.filter((e) => e.type === 'failure'));
      await sleep(300); // longer than retry: a refused stream must not be retried
      assert.equal(await stream.readyState(), 2, 'CLOSED');
      assert.deepEqual((await stream.events()).map((e) => e.type), ['failure']);
      await stream.close();
    });
  }
});
