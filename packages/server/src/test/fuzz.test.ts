/**
 * Property-based fuzzing (fast-check) of a real node started as `herald serve` with the default
 * embedded config: thousands of generated HTTP requests (every publish route, the history,
 * poll and SSE query routes) and WebSocket frames (deep and wide JSON, invalid UTF-8, sizes
 * around the limits, random bytes, wrong types, binary frames), while a steady stream is
 * published to a control channel in parallel.
 *
 * Asserts: the process stays up (/healthz 200 at the end), no 5xx and no WebSocket `internal`
 * error or 1011 close, and the WebSocket and SSE control subscribers get exactly every message.
 *
 * Each run uses a fixed seed and a random one, both printed; replay a failure with
 * FUZZ_SEED=<seed> (it replaces the random one). fast-check shrinks a failing input and prints it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { TestClient } from './helpers.js';
import { closeSseClients, dataOf, SseClient } from './http-subscribers.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
/** A worker that dies is restarted by the primary, so a crash shows as this line in the log. */
const WORKER_DIED = /worker died/;
const FIXED_SEED = 20_261_201;
/** Generated inputs per seed, each for HTTP and for WebSocket. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
/** The default `limits.max_body_bytes` and `limits.max_frame_bytes`. */
const LIMIT = 65_536;

const crashes: string[] = [];

interface Node {
  child: ChildProcess;
  url: string;
  secret: string;
  output: string[];
}

function startNode(): Promise<Node> {
  // Only PATH: no HERALD_* variable may change the default config (one worker per core).
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], { env: { PATH: process.env.PATH ?? '' } });
  const output: string[] = [];
  const keep = (d: Buffer) => {
    const text = d.toString();
    if (WORKER_DIED.test(text)) crashes.push(text);
    output.push(text);
    if (output.length > 200) output.shift();
  };
  child.stdout!.on('data', keep);
  return new Promise((resolve, reject) => {
    let banner = '';
    child.stderr!.on('data', (d: Buffer) => {
      keep(d);
      banner += d.toString();
      const url = /running on (http:\/\/[\d.]+:\d+)/.exec(banner)?.[1];
      const secret = /(hrld_dev_\S+)/.exec(banner)?.[1];
      if (url && secret) resolve({ child, url, secret, output });
    });
    child.on('exit', (code) => reject(new Error(`herald exited (${code}) before listening: ${output.join('')}`)));
  });
}

// ---- generated input -----------------------------------------------------------------------

/** JSON text nested `depth` levels deep, as arrays or objects. */
const deepJson = fc.oneof(
  fc.integer({ min: 500, max: 30_000 }).map((depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`),
  fc.integer({ min: 500, max: 12_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);
/** Very wide JSON: many elements or many keys. */
const wideJson = fc.oneof(
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => `[${'0,'.repeat(n)}0]`),
  fc.integer({ min: 1_000, max: 4_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
);
/** A string value that puts its document just under or over the size limit. */
const hugeString = fc.integer({ min: -64, max: 64 }).map((delta) => 'x'.repeat(LIMIT - 40 + delta));
/** A JSON string literal holding bytes that are not valid UTF-8 (lone continuation, overlong, surrogate, 0xFF). */
const badUtf8 = fc.array(fc.constantFrom([0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]), { minLength: 1, maxLength: 4 }).map((parts) => Buffer.from(parts.flat()));

const channelName = fc.oneof(fc.constantFrom('fuzz', 'demo:fuzz', 'demo:other', 'nope:fuzz', '', 'a'.repeat(300), '$x', 'fuzz:'), fc.string({ maxLength: 40 }));
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string(), fc.integer(), fc.constant(null), channelName);
/** A JSON value as text: small and ordinary, deep, wide or huge. */
const jsonText = fc.oneof({ weight: 6, arbitrary: anyValue.map((v) => JSON.stringify(v)) }, { weight: 2, arbitrary: deepJson }, { weight: 1, arbitrary: wideJson }, { weight: 1, arbitrary: hugeString.map((s) => JSON.stringify(s)) });

/** An object with the usual fields, each right, wrong-typed, or carrying a generated JSON text. */
function commandLike(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  // Mostly the field's own kind of value, sometimes any JSON (of any size or depth) in its place.
  const optional = Object.fromEntries(Object.entries(fields).map(([k, arb]) => [k, fc.option(fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: jsonText }), { nil: undefined })]));
  return fc.record(optional).map((r) => `{${Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
}
const quoted = (arb: fc.Arbitrary<string>) => arb.map((s) => JSON.stringify(s));

/** Bytes of a body or frame. */
const payload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: jsonText.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: badUtf8.map((b) => Buffer.concat([Buffer.from('{"channel":"demo:fuzz","data":"'), b, Buffer.from('"}')])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)) },
);

const publishBody = commandLike({ channel: quoted(channelName), event: quoted(fc.string({ maxLength: 20 })), data: jsonText, payload: jsonText, channels: channelName.map((c) => `[${JSON.stringify(c)}]`) }).map((t) => Buffer.from(t));

interface HttpCase {
  method: 'GET' | 'POST';
  path: string;
  contentType?: string;
  body?: Buffer;
}

const query = fc.array(fc.tuple(fc.constantFrom('channel', 'since', 'epoch', 'limit', 'cursor', 'last_event_id', 'presence', 'x'), fc.oneof(channelName, fc.integer().map(String), fc.constantFrom('0', '-1', 'a1:3', ':', '%', '%zz', '1e400'))), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));

const httpCase: fc.Arbitrary<HttpCase> = fc.oneof(
  fc.record({
    method: fc.constant('POST' as const),
    path: fc.constantFrom('/api/publish', '/api/broadcast', '/api/event', '/update?channel=fuzz', '/publish?channel=demo:fuzz', '/update'),
    contentType: fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'), { nil: undefined }),
    body: fc.oneof(publishBody, payload),
  }),
  fc.record({
    method: fc.constant('GET' as const),
    path: fc.tuple(fc.constantFrom('/poll?', '/sse?', '/api/channels/fuzz/history?', '/api/channels/demo%3Afuzz/history?', '/api/channels/'), query).map(([p, q]) => (p === '/api/channels/' ? `${p}${encodeURIComponent(q)}/history` : p + q)),
  }),
);

type WsCase = { binary: boolean; data: Buffer };
const wsCommand = commandLike({
  id: fc.oneof(fc.nat().map(String), fc.constantFrom('-1', '1.5', '"1"', '1e400')),
  type: quoted(fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'presence', 'ping', 'auth', 'nope')),
  channel: quoted(channelName),
  data: jsonText,
  event: quoted(fc.string({ maxLength: 20 })),
  since: fc.oneof(fc.constant('{"offset":0,"epoch":""}'), fc.record({ offset: fc.integer(), epoch: fc.string({ maxLength: 10 }) }).map((s) => JSON.stringify(s))),
  token: quoted(fc.string({ maxLength: 50 })),
  presence: fc.constantFrom('true', 'false', '1'),
});
const wsCase: fc.Arbitrary<WsCase> = fc.oneof(
  { weight: 3, arbitrary: wsCommand.map((t) => ({ binary: false, data: Buffer.from(t) })) },
  { weight: 2, arbitrary: payload.map((data) => ({ binary: false, data })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 500 }).map((a) => ({ binary: true, data: Buffer.from(a) })) },
);

// ---- driving it ----------------------------------------------------------------------------

async function sendHttp(node: Node, c: HttpCase): Promise<number | 'held'> {
  const headers: Record<string, string> = { authorization: `Bearer ${node.secret}` };
  if (c.contentType) headers['content-type'] = c.contentType;
  // A poll or stream that is accepted holds the request open (its status is what matters); any
  // other request must be answered.
  const holds = c.path.startsWith('/poll') || c.path.startsWith('/sse');
  const abort = new AbortController();
  const timer = holds ? setTimeout(() => abort.abort(), 1_000) : undefined;
  try {
    const res = await fetch(node.url + c.path, { method: c.method, headers, body: c.body, signal: abort.signal });
    if (holds && res.status === 200) abort.abort();
    else await res.arrayBuffer();
    return res.status;
  } catch (err) {
    if (holds && abort.signal.aborted) return 'held';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A WebSocket that sends one generated frame, then a ping, and reports what came back meanwhile. */
class Prober {
  #ws: WebSocket | undefined;
  #frames: string[] = [];
  #closed: { code: number; reason: string } | undefined;
  #wake: (() => void) | undefined;
  #id = 1_000_000;

  constructor(readonly url: string) {}

  async #open(): Promise<WebSocket> {
    if (this.#ws && !this.#closed) return this.#ws;
    const ws = new WebSocket(this.url);
    this.#frames = [];
    this.#closed = undefined;
    ws.on('message', (d: Buffer) => {
      this.#frames.push(d.toString());
      this.#wake?.();
    });
    ws.on('close', (code, reason) => {
      this.#closed = { code, reason: reason.toString() };
      this.#wake?.();
    });
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', () => reject(new Error(`WebSocket refused: ${this.#closed?.code} ${this.#closed?.reason}`)));
    });
    this.#ws = ws;
    return ws;
  }

  /** Frames the server sent in answer, and its close if it closed. */
  async probe(c: WsCase): Promise<{ frames: string[]; closed?: { code: number; reason: string } }> {
    const ws = await this.#open();
    this.#frames = [];
    const id = this.#id++;
    ws.send(c.data, { binary: c.binary });
    ws.send(JSON.stringify({ type: 'ping', id }));
    const pong = `{"type":"pong","id":${id}}`;
    const deadline = Date.now() + 10_000;
    while (!this.#closed && !this.#frames.includes(pong)) {
      if (Date.now() > deadline) throw new Error(`no pong within 10 s; frames: ${this.#frames.slice(-3).join(' ').slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return { frames: this.#frames, closed: this.#closed };
  }

  close(): void {
    this.#ws?.close();
  }
}

function seeds(): number[] {
  const random = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : randomBytes(4).readInt32LE();
  return [FIXED_SEED, random];
}

describe('fuzzing a default node (fast-check)', () => {
  let node: Node;
  before(async () => {
    node = await startNode();
  });
  after(() => {
    closeSseClients();
    node.child.kill('SIGTERM');
  });

  for (const seed of seeds()) {
    it(`seed ${seed}: no crash, no 5xx, control subscribers get every message (replay: FUZZ_SEED=${seed})`, async (t) => {
      t.diagnostic(`fuzz seed ${seed}; replay with FUZZ_SEED=${seed}`);
      const control = `ctl-${randomBytes(6).toString('hex')}`;
      const ws = await TestClient.connect(`${node.url.replace('http', 'ws')}/ws`);
      await ws.subscribe(control);
      const sse = new SseClient(`${node.url}/sse?channel=${control}`);
      await sse.waitForSubscribed(1);
      // Victims: subscribers of the channels the fuzz publishes to, so its publications are encoded and fanned out.
      const victim = new SseClient(`${node.url}/sse?channel=fuzz&channel=demo:fuzz`);

      let published = 0;
      let fuzzing = true;
      const publisher = (async () => {
        while (fuzzing) {
          const res = await fetch(`${node.url}/api/publish`, {
            method: 'POST',
            headers: { authorization: `Bearer ${node.secret}`, 'content-type': 'application/json' },
            body: JSON.stringify({ channel: control, data: published + 1 }),
          });
          assert.equal(res.status, 200, await res.text());
          published++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();

      const prober = new Prober(`${node.url.replace('http', 'ws')}/ws`);
      const alive = () => {
        assert.ok(node.child.exitCode === null && node.child.signalCode === null, `the node died: ${node.output.slice(-5).join('')}`);
        assert.deepEqual(crashes, [], 'a worker died');
      };
      try {
        await Promise.all([
          fc.assert(
            fc.asyncProperty(httpCase, async (c) => {
              const status = await sendHttp(node, c);
              alive();
              assert.ok(status === 'held' || status < 500, `HTTP ${status}`);
            }),
            { seed, numRuns: RUNS, includeErrorInReport: true },
          ),
          fc.assert(
            fc.asyncProperty(wsCase, async (c) => {
              const { frames, closed } = await prober.probe(c);
              alive();
              assert.notEqual(closed?.code, 1011, `closed 1011: ${closed?.reason}`);
              const internal = frames.find((f) => f.includes('"code":"internal"'));
              assert.equal(internal, undefined);
            }),
            { seed, numRuns: RUNS, includeErrorInReport: true },
          ),
        ]);
      } finally {
        fuzzing = false;
        await publisher;
        prober.close();
        victim.close();
      }

      alive();
      assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
      const expected = Array.from({ length: published }, (_, i) => i + 1);
      assert.deepEqual(dataOf(await ws.waitForMessages(published, control, 10_000)), expected);
      assert.deepEqual(dataOf(await sse.waitForMessages(published, control, 10_000)), expected);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      const isolated = metrics.split('\n').filter((l) => l.startsWith('herald_fanout_errors_total{'));
      t.diagnostic(`${RUNS} HTTP requests and ${RUNS} WebSocket frames; ${published} control messages delivered exactly; isolated so far: ${isolated.join(', ') || 'none'}`);
      ws.close();
      sse.close();
    });
  }
});
