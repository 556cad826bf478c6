import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody, ServerFrame, SubscribedFrame } from '@herald/protocol';
import { connectOutcome, publish, signJwt, startServer, TestClient, type TestServer } from '../test/helpers.js';

const JWT_SECRET = 'server-subs-jwt-secret-0123456789';
type Unsubscribed = ServerFrame & { type: 'unsubscribed'; channel: string; cause?: ErrorBody };

/** Read an SSE response's events until `done` says so (or 5 s pass), then drop it. */
async function readSse(url: string, done: (events: Array<{ event: string; data: unknown; id?: string }>) => boolean) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  const events: Array<{ event: string; data: unknown; id?: string }> = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.text()));
    let buffer = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString();
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data !== undefined) events.push({ event: field('event') ?? 'message', data: JSON.parse(data), id: field('id') });
      }
      if (done(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe('server-side subscriptions', () => {
  let server: TestServer;
  const open: TestClient[] = [];
  let n = 0;
  const unique = (ns: string) => `${ns}:ss${Date.now()}_${n++}`;
  const connect = async (query: string) => {
    const c = await TestClient.connect(`${server.wsUrl}?${query}`);
    open.push(c);
    return c;
  };
  const subscribed = (c: TestClient, channel: string) => c.waitFor((f) => f.type === 'subscribed' && f.channel === channel) as Promise<SubscribedFrame>;

  before(async () => {
    server = await startServer({
      auth: { jwt: { secrets: [JWT_SECRET] } },
      server_subscriptions: { personal_namespace: 'user' },
      // `feed` is private: a client could only subscribe with a subscription token; the server needs none.
      namespaces: { default: {}, user: {}, feed: { private: true, history_size: 50 } },
    });
  });
  after(async () => {
    for (const c of open) c.close();
    await server.close();
  });

  it("subscribes the token's `channels` and the personal channel, before their first message", async () => {
    const feed = unique('feed');
    const client = await connect(`token=${await signJwt(JWT_SECRET, 'alice', { channels: [feed] })}`);
    const frame = await subscribed(client, feed);
    assert.equal(frame.server, true);
    await subscribed(client, 'user:#alice');
    await publish(server, feed, { n: 1 });
    await publish(server, 'user:#alice', { personal: true });
    assert.deepEqual((await client.waitForMessages(1, feed))[0]!.data, { n: 1 });
    assert.deepEqual((await client.waitForMessages(1, 'user:#alice'))[0]!.data, { personal: true });
    // The personal channel stays limited to its user.
    const other = await connect(`token=${await signJwt(JWT_SECRET, 'mallory')}`);
    const reply = (await other.request({ type: 'subscribe', channel: 'user:#alice' })) as ServerFrame & { error?: ErrorBody };
    assert.equal(reply.error?.code, 'forbidden');
  });

  it('recovers what was missed across a reconnect from the positions the client sends in `since`', async () => {
    const feed = unique('feed');
    const token = await signJwt(JWT_SECRET, 'bob', { channels: [feed] });
    const first = await connect(`token=${token}`);
    await subscribed(first, feed);
    await publish(server, feed, 1);
    await publish(server, feed, 2);
    const seen = await first.waitForMessages(2, feed);
    first.close();
    await first.closed;
    for (const i of [3, 4, 5]) await publish(server, feed, i);
    const last = seen[1]!;
    const since = encodeURIComponent(JSON.stringify({ [feed]: { offset: last.offset, epoch: last.epoch } }));
    const again = await connect(`token=${token}&since=${since}`);
    const frame = await subscribed(again, feed);
    assert.equal(frame.recovered, true);
    assert.deepEqual((await again.waitForMessages(3, feed)).map((m) => m.data), [3, 4, 5]);
  });

  it('tells the client which server-side channel failed, and keeps the others', async () => {
    const feed = unique('feed');
    const client = await connect(`token=${await signJwt(JWT_SECRET, 'carol', { channels: ['nowhere:x', feed] })}`);
    const failed = (await client.waitFor((f) => f.type === 'unsubscribed')) as Unsubscribed;
    assert.equal(failed.channel, 'nowhere:x');
    assert.equal(failed.cause?.code, 'unknown_channel');
    await subscribed(client, feed);
  });

  it('a malformed `since` is refused before the upgrade (400)', async () => {
    const outcome = await connectOutcome(`${server.wsUrl}?since=${encodeURIComponent('{"a":1}')}`);
    assert.deepEqual(outcome, { connected: false, code: 400 });
  });

  it('a personal namespace that is not configured is a config error at start', async () => {
    await assert.rejects(startServer({ server_subscriptions: { personal_namespace: 'nope' } }), /personal_namespace "nope" is not a configured namespace/);
  });

  it('on SSE, server-side channels follow the asked ones, and a browser resumes them all from Last-Event-ID', async () => {
    const feed = unique('feed');
    const token = await signJwt(JWT_SECRET, 'erin', { channels: [feed] });
    // No channel asked for: the stream carries the server-side ones alone.
    const first = await readSse(`${server.url}/sse?token=${token}`, (events) => events.filter((e) => e.event === 'subscribed').length === 2);
    const subscribed = first.filter((e) => e.event === 'subscribed').map((e) => e.data as SubscribedFrame);
    assert.deepEqual(subscribed.map((f) => [f.channel, f.server]).sort(), [[feed, true], ['user:#erin', true]].sort());
    const lastId = first.filter((e) => e.event === 'subscribed').at(-1)!.id!;
    assert.equal(lastId.split(',').length, 2, 'the stream id holds a position for each channel');
    await publish(server, feed, 'missed');
    const again = await readSse(`${server.url}/sse?token=${token}&last_event_id=${encodeURIComponent(lastId)}`, (events) => events.some((e) => e.event === 'message'));
    assert.equal((again.find((e) => e.event === 'message')!.data as { data: unknown }).data, 'missed');
    assert.equal((again.find((e) => e.event === 'subscribed' && (e.data as SubscribedFrame).channel === feed)!.data as SubscribedFrame).recovered, true);
  });

  it('an anonymous connection that authenticates with an `auth` frame gets its server-side channels then', async () => {
    const feed = unique('feed');
    const client = await connect('');
    const reply = (await client.request({ type: 'auth', token: await signJwt(JWT_SECRET, 'dave', { channels: [feed] }) })) as ServerFrame & { error?: ErrorBody };
    assert.equal(reply.error, undefined);
    await subscribed(client, feed);
    await subscribed(client, 'user:#dave');
  });
});
