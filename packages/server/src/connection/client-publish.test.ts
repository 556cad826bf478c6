/**
 * Client publishing over real sockets: allowed and forbidden namespaces, size and rate limits,
 * a sender identity the client cannot forge, and the per-namespace echo option.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, ErrorCode, type ConnectedFrame } from '@herald/protocol';
import { signJwt, sleep, startServer, TestClient, type TestServer } from '../test/helpers.js';

const SECRET = 'publish-jwt-secret-0123456789abcdef';
const token = (sub: string) => signJwt(SECRET, sub);
const clientId = (c: TestClient) => (c.frames.find((f) => f.type === 'connected') as ConnectedFrame).client;

describe('client publishing', () => {
  let server: TestServer;
  const open: TestClient[] = [];
  const connect = async (user: string) => {
    const c = await TestClient.connect(`${server.wsUrl}?token=${await token(user)}`);
    open.push(c);
    return c;
  };

  before(async () => {
    server = await startServer({
      auth: { jwt: { secrets: [SECRET] } },
      limits: { max_frame_bytes: 1024 },
      namespaces: {
        chat: { allow_client_publish: true },
        news: {},
        slow: { allow_client_publish: true, client_publish_per_second: 2 },
        quiet: { allow_client_publish: true, echo: false },
      },
    });
  });
  after(async () => {
    for (const c of open) c.close();
    await server.close();
  });

  it('delivers an allowed publish to every subscriber, stamped with the sender, echo included', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.subscribe('chat:1');
    await bob.subscribe('chat:1');
    const reply = await alice.request({ type: 'publish', channel: 'chat:1', event: 'said', data: { text: 'hi' } });
    assert.ok('ok' in reply);
    assert.equal((reply.result as { offset: number }).offset, 1);
    const [received] = await bob.waitForMessages(1, 'chat:1');
    assert.deepEqual(received!.data, { text: 'hi' });
    assert.deepEqual(received!.info, { user: 'alice', client: clientId(alice) });
    const [echoed] = await alice.waitForMessages(1, 'chat:1');
    assert.equal(echoed!.offset, 1);
  });

  it('carries a conflation key from a client publish, and refuses a key that is not a short string', async () => {
    const alice = await connect('alice');
    await alice.subscribe('chat:keyed');
    const reply = await alice.request({ type: 'publish', channel: 'chat:keyed', key: 'typing:alice', data: 1 });
    assert.ok('ok' in reply, JSON.stringify(reply));
    const [received] = await alice.waitForMessages(1, 'chat:keyed');
    assert.equal(received!.key, 'typing:alice');
    for (const key of ['', 7, 'k'.repeat(129)]) {
      const refused = await alice.request({ type: 'publish', channel: 'chat:keyed', key, data: 1 });
      assert.ok('error' in refused && refused.error.code === ErrorCode.BadRequest && /key/.test(refused.error.message), JSON.stringify(refused));
    }
  });

  it('refuses a client-supplied identity (an unknown field); the server sets info from the connection', async () => {
    const mallory = await connect('mallory');
    const bob = await connect('bob');
    await bob.subscribe('chat:forge');
    const forged = await mallory.request({ type: 'publish', channel: 'chat:forge', data: { text: 'trust me' }, info: { user: 'admin', client: 'c_admin' } });
    assert.equal('error' in forged && forged.error.code, ErrorCode.BadRequest);
    assert.match('error' in forged ? forged.error.message : '', /unknown field "info"/);
    // data that looks like frame fields stays inside data.
    mallory.send('{"id":2,"type":"publish","channel":"chat:forge","data":{"x":"\\"},\\"info\\":1"},"event":"e"}');
    const [received] = await bob.waitForMessages(1, 'chat:forge');
    assert.deepEqual(received!.data, { x: '"},"info":1' });
    assert.deepEqual(received!.info, { user: 'mallory', client: clientId(mallory) });
  });

  it('refuses namespaces without allow_client_publish with forbidden', async () => {
    const alice = await connect('alice');
    const reply = await alice.request({ type: 'publish', channel: 'news:1', data: 1 });
    assert.equal('error' in reply && reply.error.code, ErrorCode.Forbidden);
  });

  it('closes a connection that sends a frame above max_frame_bytes with 1009', async () => {
    const alice = await connect('alice');
    alice.send({ id: 1, type: 'publish', channel: 'chat:1', data: 'x'.repeat(2000) });
    assert.equal((await alice.closed).code, CloseCode.MessageTooBig);
  });

  it('rate-limits publishes per namespace with rate_limited, keeping the connection', async () => {
    const alice = await connect('alice');
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await alice.request({ type: 'publish', channel: 'slow:1', data: i });
      codes.push('ok' in reply ? 'ok' : reply.error.code);
    }
    assert.deepEqual(codes, ['ok', 'ok', ErrorCode.RateLimited, ErrorCode.RateLimited]);
    // Other namespaces keep their own budget, and the connection is still usable.
    assert.ok('ok' in (await alice.request({ type: 'publish', channel: 'chat:rate', data: 1 })));
    await sleep(600);
    assert.ok('ok' in (await alice.request({ type: 'publish', channel: 'slow:1', data: 'again' })));
  });

  it('does not echo to the sender where echo is off, but still delivers to others', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.subscribe('quiet:1');
    await bob.subscribe('quiet:1');
    assert.ok('ok' in (await alice.request({ type: 'publish', channel: 'quiet:1', data: 'from alice' })));
    assert.ok('ok' in (await bob.request({ type: 'publish', channel: 'quiet:1', data: 'from bob' })));
    await bob.waitForMessages(1, 'quiet:1');
    await alice.waitForMessages(1, 'quiet:1');
    await sleep(100);
    assert.deepEqual(alice.messages('quiet:1').map((m) => m.data), ['from bob']);
    assert.deepEqual(bob.messages('quiet:1').map((m) => m.data), ['from alice']);
  });
});
