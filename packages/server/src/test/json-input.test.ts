/**
 * JSON inputs on a node with the default configuration: values nested far past
 * `limits.max_json_depth` (one ~10 KB message used to overflow the stack during fan-out and stop
 * the process) are refused on every publish route and over a WebSocket client publish into the
 * demo namespace, while a control subscriber gets every message of a steady stream; and `data`
 * reaches every transport byte-exact on the memory engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import { assertByteExact, EXACT_DATA, SENT_DATA } from './byte-exact.js';
import { api, publish, startServer, TestClient, waitUntil, type TestServer } from './helpers.js';

const DEPTH = 5000;
const deepArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const deepObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
const json = { 'content-type': 'application/json' };

describe('deeply nested JSON on a default node', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const connect = async () => {
    const c = await TestClient.connect(server.wsUrl);
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('is refused on every route and frame, naming the limit, while a control stream loses nothing', async () => {
    const control = await connect();
    await control.subscribe('control');
    const demo = await connect();
    await demo.subscribe('demo:room');
    const attacker = await connect();
    await attacker.subscribe('demo:room');

    const attacks: Array<() => Promise<{ code?: string; message?: string; status?: number }>> = [];
    for (const deep of [deepArray, deepObject]) {
      const http = (path: string, body: string) => async () => {
        const res = await api(server, path, { rawBody: body, headers: json });
        return { status: res.status, ...res.json.error };
      };
      attacks.push(
        http('/api/publish', `{"channel":"demo:room","data":${deep}}`),
        http('/api/broadcast', `{"channels":["demo:room"],"data":${deep}}`),
        http('/api/event', `{"channel":"demo:room","event":"x","payload":${deep}}`),
        http('/update?channel=demo:room', deep),
        http('/publish?channel=demo:room', deep),
        async () => {
          const reply = await attacker.requestRaw((id) => `{"id":${id},"type":"publish","channel":"demo:room","data":${deep}}`);
          return 'error' in reply ? reply.error : {};
        },
        async () => {
          const reply = await attacker.requestRaw((id) => `{"id":${id},"type":"auth","token":"t","x":${deep}}`);
          return 'error' in reply ? reply.error : {};
        },
      );
    }

    const STREAM = 300;
    const every = Math.floor(STREAM / attacks.length);
    for (let i = 1; i <= STREAM; i++) {
      assert.equal((await publish(server, 'control', i)).status, 200);
      if (i % every !== 0 || attacks.length === 0) continue;
      const refused = await attacks.shift()!();
      assert.equal(refused.code, ErrorCode.BadRequest, JSON.stringify(refused));
      assert.match(refused.message ?? '', /limits\.max_json_depth \(64 levels\)/);
      if (refused.status !== undefined) assert.equal(refused.status, 400);
    }
    assert.equal(attacks.length, 0, 'every attack was sent');

    const got = await control.waitForMessages(STREAM, 'control');
    await publish(server, 'control', 'end');
    await control.waitFor((f) => f.type === 'message' && f.data === 'end');
    assert.deepEqual(control.messages('control').map((m) => m.data), [...Array.from({ length: STREAM }, (_, i) => i + 1), 'end']);
    assert.equal(got.length, STREAM);

    // The demo channel still works, and nothing deep ever reached it.
    assert.equal((await publish(server, 'demo:room', 'after')).status, 200);
    await demo.waitForMessages(1, 'demo:room');
    assert.deepEqual(demo.messages('demo:room').map((m) => m.data), ['after']);
    assert.equal((await api(server, '/healthz')).status, 200);
  });

  it('accepts nesting up to the limit: a body of 64 levels, data of 63', async () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const ok = await api(server, '/api/publish', { rawBody: `{"channel":"depth","data":${nested(63)}}`, headers: json });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const refused = await api(server, '/api/publish', { rawBody: `{"channel":"depth","data":${nested(64)}}`, headers: json });
    assert.equal(refused.status, 400);
  });

  it("relays data byte-exact on WebSocket, SSE, long-poll and history (memory engine)", () => assertByteExact(server, server, 'exact'));

  it('relays a client publish byte-exact to WebSocket subscribers', async () => {
    const reader = await connect();
    await reader.subscribe('demo:exact');
    const texts: string[] = [];
    reader.ws.on('message', (data) => texts.push(data.toString()));
    const writer = await connect();
    const reply = await writer.requestRaw((id) => `{"id":${id},"type":"publish","channel":"demo:exact","data":${SENT_DATA}}`);
    assert.ok('ok' in reply, JSON.stringify(reply));
    const frame = await waitUntil(() => texts.find((t) => t.startsWith('{"type":"message"')), 5000, () => 'message');
    assert.ok(/,"info":\{"user":[^}]*\},"data":/.test(frame) && frame.endsWith(`,"data":${EXACT_DATA}}`), frame);
  });
});
