/**
 * Seed 000's own clients against a real node configured by the seed's own env vars: the
 * authenticated and public CLIs each get only their audience's orders, as raw frames, one per
 * publish; a bad JWT is a 401 before the upgrade; native clients see the same publications.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.js';
import { createHerald, type Herald } from '../../server.js';
import { WebSocket } from 'ws';
import { API_KEY, signJwt, TestClient } from '../../test/helpers.js';
import { collected, Seed000Cli, seed000Post, seed000TimeToken } from '../../test/seed-clients.js';

const JWT_SECRET = 'seed000-jwt-secret-0123456789';
const TIME_SECRET = 'seed000-time-secret-0123456789';
const WINDOW = 3600;

describe('seed 000 compatibility', () => {
  let herald: Herald;
  let base: string;
  let wsUrl: string;
  let n = 0;
  const channel = () => `orders${Date.now()}_${n++}`;
  const post = (target: 'private' | 'public', ch: string, order: unknown, secret = TIME_SECRET) =>
    seed000Post(`${base}/${target === 'private' ? 'update' : 'publish'}`, secret, WINDOW, order, ch, target);

  before(async () => {
    const env = {
      JWT_SECRET,
      TIME_TOKEN_SECRET: TIME_SECRET,
      TIME_WINDOW_SECONDS: String(WINDOW),
      ALLOWED_CLOCK_SKEW: '1',
      HERALD_COMPAT__SEED000__ENABLED: 'true',
      HERALD_API_KEYS: API_KEY,
    };
    const config = loadConfig({ object: { server: { host: '127.0.0.1', port: 0 }, log: { level: 'silent' } }, env });
    herald = createHerald(config, { logger: pino({ level: 'silent' }) });
    const { port } = await herald.start();
    base = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/ws`;
  });
  after(() => herald.close());

  it('/update reaches only authenticated clients and /publish only public ones, each frame the exact body posted', async () => {
    const ch = channel();
    const auth = await Seed000Cli.start(wsUrl, 'auth', ch, JWT_SECRET);
    const pub = await Seed000Cli.start(wsUrl, 'public', ch);
    const other = await Seed000Cli.start(wsUrl, 'auth', `${ch}x`, JWT_SECRET);
    assert.equal(await auth.opened, true);
    assert.equal(await pub.opened, true);
    assert.equal(await other.opened, true);
    const privateOrder = { id: 'order-1', item: 'Laptop', amount: 999.5 };
    const publicOrder = { id: 'order-2', item: 'Mouse', amount: 25 };
    const sent = await post('private', ch, privateOrder);
    assert.deepEqual(sent, { status: 202, body: '' });
    assert.deepEqual(await post('public', ch, publicOrder), { status: 202, body: '' });
    // A last order to each audience: once it arrived, a stray one would have too.
    await post('private', ch, { id: 'end-private' });
    await post('public', ch, { id: 'end-public' });
    await collected(auth.frames, 2, 'private frames');
    await collected(pub.frames, 2, 'public frames');
    assert.deepEqual(auth.frames, [JSON.stringify(privateOrder), '{"id":"end-private"}']);
    assert.deepEqual(pub.frames, [JSON.stringify(publicOrder), '{"id":"end-public"}']);
    assert.deepEqual(auth.rows[0], ['order-1', 'Laptop', '$999.5']);
    assert.deepEqual(other.frames, [], 'channels are exact matches');
    assert.deepEqual([...auth.errors, ...pub.errors], []);
    for (const c of [auth, pub, other]) c.close();
  });

  it('sends any JSON value raw, one frame per publish even when many are queued at once', async () => {
    const ch = channel();
    const cli = await Seed000Cli.start(wsUrl, 'auth', ch, JWT_SECRET);
    await cli.opened;
    const bodies = Array.from({ length: 30 }, (_, i) => ({ id: `order-${i}`, item: 'Item', amount: i }));
    const answers = await Promise.all(bodies.map((b) => post('private', ch, b)));
    assert.ok(answers.every((a) => a.status === 202));
    await collected(cli.frames, 30, 'frames');
    assert.deepEqual(cli.frames.map((f) => JSON.parse(f) as unknown).sort((a, b) => (a as { amount: number }).amount - (b as { amount: number }).amount), bodies);
    assert.equal(cli.rows.length, 30, 'every frame parsed on its own (the seed merged queued ones into one unparsable frame)');
    const raw = await fetch(`${base}/update?channel=${ch}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-token': seed000TimeToken(TIME_SECRET, WINDOW) }, body: '[1, 2.50,"x"]' });
    assert.equal(raw.status, 202);
    await collected(cli.frames, 31, 'frames');
    assert.equal(cli.frames[30], '[1,2.50,"x"]', 'number spelling kept (only insignificant whitespace goes)');
    cli.close();
  });

  it('refuses a missing or bad JWT with HTTP 401 before the upgrade, and a bad time token with 401', async () => {
    const ch = channel();
    const wrong = await Seed000Cli.start(wsUrl, 'auth', ch, 'not-the-secret-0123456789');
    assert.equal(await wrong.opened, false);
    assert.deepEqual(wrong.errors, ['WebSocket error: Unexpected server response: 401']);
    const noToken = new WebSocket(`${wsUrl}?channel=${ch}`);
    const refused = await new Promise<string>((resolve) => noToken.on('error', (err) => resolve(err.message)));
    assert.equal(refused, 'Unexpected server response: 401');
    const badName = new WebSocket(`${wsUrl}/public?channel=${encodeURIComponent('no spaces')}`);
    assert.equal(await new Promise<string>((resolve) => badName.on('error', (err) => resolve(err.message))), 'Unexpected server response: 400');
    const bad = await post('private', ch, { id: 1 }, 'wrong-time-secret-0123456789');
    assert.equal(bad.status, 401);
    const badJson = await fetch(`${base}/publish?channel=${ch}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-token': seed000TimeToken(TIME_SECRET, WINDOW) }, body: '{"a":' });
    assert.equal(badJson.status, 400);
  });

  it('native clients on the same channels see the same publications, and publish to seed clients', async () => {
    const ch = channel();
    const cli = await Seed000Cli.start(wsUrl, 'public', ch);
    await cli.opened;
    const native = await TestClient.connect(`${wsUrl}?token=${await signJwt(JWT_SECRET, 'native-user')}`);
    await native.subscribe(`seed000:${ch}`);
    await native.subscribe(`seed000-public:${ch}`);
    await post('private', ch, { id: 'p1', item: 'Private', amount: 1 });
    await post('public', ch, { id: 'q1', item: 'Public', amount: 2 });
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: `seed000-public:${ch}`, data: { id: 'n1', item: 'Native', amount: 3 } }),
    });
    assert.equal(res.status, 200);
    const got = await native.waitForMessages(3);
    assert.deepEqual(got.map((m) => [m.channel, m.data]), [
      [`seed000:${ch}`, { id: 'p1', item: 'Private', amount: 1 }],
      [`seed000-public:${ch}`, { id: 'q1', item: 'Public', amount: 2 }],
      [`seed000-public:${ch}`, { id: 'n1', item: 'Native', amount: 3 }],
    ]);
    await collected(cli.frames, 2, 'public frames');
    assert.deepEqual(cli.rows, [['q1', 'Public', '$2'], ['n1', 'Native', '$3']]);
    native.close();
    cli.close();
  });
});
