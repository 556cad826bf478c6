import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { api, publish, startServer, TestClient, type TestServer } from '../test/helpers.js';
import { OPENAPI_PATH } from './openapi.js';

const hint = 'run `npm run docs:openapi` and commit the result';
const checkedIn = () => JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as OpenApi;

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
}

describe('OpenAPI document', () => {
  let server: TestServer;
  let served: OpenApi;
  let ajv: Ajv2020;

  before(async () => {
    server = await startServer({ namespaces: { orders: {}, chat: { presence: true } }, longpoll: { timeout_seconds: 5 } });
    const res = await fetch(server.url + OPENAPI_PATH);
    assert.equal(res.status, 200, 'served without credentials');
    served = (await res.json()) as OpenApi;
    ajv = new Ajv2020({ strict: false });
    ajv.addSchema(served, 'openapi');
  });
  after(() => server.close());

  it(`docs/openapi.json is the document the node serves (${hint})`, () => {
    assert.deepEqual(served, checkedIn());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(served.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(served) as unknown as Record<string, unknown>);
    assert.deepEqual(result, { valid: true });
  });

  it('documents every route a backend, a load balancer or Prometheus calls', () => {
    const operations = Object.entries(served.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(operations.sort(), [
      'GET /api/channels',
      'GET /api/channels/{channel}',
      'GET /api/channels/{channel}/history',
      'GET /api/channels/{channel}/presence',
      'GET /api/connections',
      'GET /api/openapi.json',
      'GET /api/users/{user}/block',
      'GET /api/users/{user}/connections',
      'GET /api/webhooks',
      'GET /healthz',
      'GET /metrics',
      'GET /poll',
      'GET /readyz',
      'GET /sse',
      'POST /api/broadcast',
      'POST /api/event',
      'POST /api/publish',
      'POST /api/publish/batch',
      'POST /api/tokens/revoke',
      'POST /api/users/{user}/block',
      'POST /api/users/{user}/disconnect',
      'POST /api/users/{user}/revoke',
      'POST /api/users/{user}/subscribe',
      'POST /api/users/{user}/unblock',
      'POST /api/users/{user}/unsubscribe',
      'POST /publish',
      'POST /update',
    ]);
  });

  it('leaves out the admin page, its API, the demo pages and /client.js, also when they are on', async () => {
    const full = await startServer({ admin: { token: 'an-admin-token-0123456789' }, server: { demo: true } });
    try {
      assert.equal((await fetch(`${full.url}/admin`)).status, 200, 'the admin page is served');
      const document = (await (await fetch(full.url + OPENAPI_PATH)).json()) as OpenApi;
      assert.deepEqual(Object.keys(document.paths).sort(), Object.keys(served.paths).sort());
    } finally {
      await full.close();
    }
  });

  /** Assert that a real answer is one the document describes for this route and status. */
  function conforms(method: string, path: string, answer: { status: number; json: unknown }): void {
    const media = served.paths[path]?.[method]?.responses[String(answer.status)]?.content?.['application/json'];
    assert.ok(media, `${method.toUpperCase()} ${path} documents a JSON ${answer.status}`);
    const pointer = ['paths', path, method, 'responses', String(answer.status), 'content', 'application/json', 'schema'].map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    const validate = ajv.compile({ $ref: `openapi#/${pointer}` });
    assert.ok(validate(answer.json), `${method.toUpperCase()} ${path} ${answer.status}: ${JSON.stringify(answer.json)} ${ajv.errorsText(validate.errors)}`);
  }

  it('real answers, errors included, match the documented schemas', async () => {
    const client = await TestClient.connect(server.wsUrl);
    await client.subscribe('chat:room1');

    const published = await publish(server, 'orders:1', { status: 'paid' }, 'updated');
    assert.equal(published.status, 200);
    conforms('post', '/api/publish', published);
    conforms('post', '/api/publish', await publish(server, 'bad name', 1));
    conforms('post', '/api/publish', await publish(server, 'nope:1', 1));
    conforms('post', '/api/publish', await api(server, '/api/publish', { body: { channel: 'orders:1', data: 1 }, headers: { authorization: 'Bearer wrong-key-0123456789abc' } }));
    conforms('post', '/api/publish', await api(server, '/api/publish', { rawBody: 'hi', headers: { 'content-type': 'text/plain' } }));
    conforms('post', '/api/publish', await api(server, '/api/publish', { rawBody: '{', headers: { 'content-type': 'application/json' } }));
    conforms('post', '/api/publish', await api(server, '/api/publish', { body: { channel: '_herald:stats', data: 1 } }));
    conforms('post', '/api/broadcast', await api(server, '/api/broadcast', { body: { channels: ['orders:1', 'bad name'], data: 2 } }));
    conforms('post', '/api/event', await api(server, '/api/event', { body: { channel: 'orders:1', event: 'e', payload: 3 } }));
    conforms('post', '/update', await api(server, '/update?channel=orders:1', { body: [4] }));

    const history = await api(server, `/api/channels/orders%3A1/history?since=0&epoch=${published.json.epoch as string}`);
    assert.equal((history.json.publications as unknown[]).length, 4);
    conforms('get', '/api/channels/{channel}/history', history);
    conforms('get', '/api/channels/{channel}/history', await api(server, '/api/channels/orders%3A1/history?since=0'));
    conforms('get', '/api/channels', await api(server, '/api/channels'));
    conforms('get', '/api/channels/{channel}', await api(server, '/api/channels/chat%3Aroom1'));
    conforms('get', '/api/channels/{channel}/presence', await api(server, '/api/channels/chat%3Aroom1/presence'));
    conforms('get', '/api/channels/{channel}/presence', await api(server, '/api/channels/orders%3A1/presence'));
    conforms('get', '/api/webhooks', await api(server, '/api/webhooks'));
    conforms('get', '/healthz', await api(server, '/healthz'));
    conforms('get', '/readyz', await api(server, '/readyz'));

    conforms('get', '/api/users/{user}/connections', await api(server, '/api/users/u1/connections'));
    conforms('get', '/api/connections', await api(server, '/api/connections?channel=chat%3Aroom1&limit=1'));
    conforms('get', '/api/connections', await api(server, '/api/connections?channel=bad%20name'));
    conforms('post', '/api/users/{user}/disconnect', await api(server, '/api/users/u1/disconnect', { method: 'POST' }));
    conforms('post', '/api/users/{user}/disconnect', await api(server, '/api/users/u1/disconnect', { body: { code: 1000 } }));
    conforms('post', '/api/users/{user}/subscribe', await api(server, '/api/users/u1/subscribe', { body: { channel: 'orders:1' } }));
    conforms('post', '/api/users/{user}/subscribe', await api(server, '/api/users/u1/subscribe', { body: { channel: 'nope:1' } }));
    conforms('post', '/api/users/{user}/unsubscribe', await api(server, '/api/users/u1/unsubscribe', { body: { channel: 'orders:1', client: 'c_x' } }));
    conforms('post', '/api/tokens/revoke', await api(server, '/api/tokens/revoke', { body: { jti: 'j1' } }));
    conforms('post', '/api/tokens/revoke', await api(server, '/api/tokens/revoke', { body: { jti: 'j1', expires_at: 1 } }));
    conforms('post', '/api/users/{user}/revoke', await api(server, '/api/users/u1/revoke', { body: { issued_before: 1000 } }));
    conforms('post', '/api/users/{user}/block', await api(server, '/api/users/u1/block', { body: { reason: 'spam', expires_at: Math.floor(Date.now() / 1000) + 60 } }));
    conforms('get', '/api/users/{user}/block', await api(server, '/api/users/u1/block'));
    conforms('post', '/api/users/{user}/unblock', await api(server, '/api/users/u1/unblock', { method: 'POST' }));
    conforms('get', '/api/users/{user}/block', await api(server, '/api/users/u1/block'));

    const cursor = `${encodeURIComponent(published.json.epoch as string)}:0`;
    conforms('get', '/poll', await api(server, `/poll?channel=orders:1&cursor=${encodeURIComponent(cursor)}`));
    conforms('get', '/poll', await api(server, '/poll'));
    client.close();
  });

  it('the text routes answer in the media types the document names', async () => {
    const metrics = await fetch(`${server.url}/metrics`);
    assert.ok(served.paths['/metrics']!.get!.responses['200']!.content!['text/plain']);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    await metrics.text();
    const abort = new AbortController();
    const sse = await fetch(`${server.url}/sse?channel=orders:1`, { signal: abort.signal });
    assert.ok(served.paths['/sse']!.get!.responses['200']!.content!['text/event-stream']);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    abort.abort();
  });
});
