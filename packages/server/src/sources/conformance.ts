/**
 * @module sources/conformance
 * The contract of sources/source.ts as a test suite, run by each source's test file with a harness
 * that knows how to write to its medium (the application's side), read its dead letters and cut
 * its connections. Real nodes on loopback with the Redis engine (a shared idempotency store, as
 * several nodes need), real WebSocket subscribers; one node is a `herald serve` child so it can be
 * killed with SIGKILL mid-batch.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { api, API_KEY, capturingLogger, sleep, startServer, TestClient, waitUntil, type TestServer } from '../test/helpers.js';
import { deleteRedisKeys, freePort, PrivateServer, REDIS_URL, uniquePrefix } from '../test/services.js';
import type { Herald } from '../server.js';

export interface TestRecord {
  channel: string;
  /** JSON text, written as it is (poison tests write text that is not JSON). */
  data: string;
  event?: string;
  key?: string;
}

/**
 * One fresh place in the medium (a table, a set of streams, a queue) and the application's side of
 * it. A source's `health().lag` must come back to 0 once everything written here is settled.
 */
export interface SourcePlace {
  /** The `sources.<name>` entry that reads this place. */
  config: Record<string, unknown>;
  /** Write records as the application would, committed, in this order. */
  write(records: TestRecord[]): Promise<void>;
  /** The reasons of what sits in the dead-letter place. */
  deadLetters(): Promise<string[]>;
  /** Cut every connection the source named `name` holds to the medium (pg_terminate_backend, CLIENT KILL). */
  cutConnections(name: string): Promise<number>;
  /** Drop the place. */
  remove(): Promise<void>;
}

export interface SourceHarness {
  /** A fresh place; `name` is the source's name (unique per place). */
  place(name: string): Promise<SourcePlace>;
  /**
   * Whether two nodes share the work (default true). A source whose medium allows only one
   * active consumer (a leader, a single-active-consumer queue) sets false: the other node stands by.
   */
  shares?: boolean;
}

const NS = 'src';
const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));

/** Each channel's `seq` values as received, to be 0…n-1 exactly once and in order. */
export function assertOncePerChannelInOrder(client: TestClient, channels: string[], perChannel: number, who: string): void {
  for (const ch of channels) {
    const seqs = client.messages(ch).map((m) => (m.data as { seq: number }).seq);
    const expected = Array.from({ length: perChannel }, (_, i) => i);
    if (seqs.length !== perChannel || seqs.some((s, i) => s !== i)) {
      const dup = seqs.length - new Set(seqs).size;
      assert.fail(`${who} on ${ch}: ${seqs.length} messages, ${dup} duplicated, ${perChannel - new Set(seqs).size} lost, in order: ${seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)}`);
    }
    assert.deepEqual(seqs, expected);
  }
}

/** `perChannel` records for each channel, interleaved across channels as an application would write them. */
export function interleaved(channels: string[], perChannel: number, from = 0, to = perChannel): TestRecord[] {
  const out: TestRecord[] = [];
  for (let i = from; i < to; i++) for (const channel of channels) out.push({ channel, data: `{"seq":${i}}`, event: 'e' });
  return out;
}

export function sourceConformance(kind: string, harness: SourceHarness): void {
  describe(`${kind} source conformance`, () => {
    const prefix = uniquePrefix();
    const engine = { type: 'redis', prefix, timeout_seconds: 1, redis: { url: REDIS_URL } };
    const places: SourcePlace[] = [];
    const servers: TestServer[] = [];
    const clients: TestClient[] = [];
    let n = 0;
    const channels = (count: number) => Array.from({ length: count }, (_, i) => `${NS}:${prefix}_${n++}_${i}`);

    const fresh = async () => {
      const name = `s_${randomBytes(4).toString('hex')}`;
      const place = await harness.place(name);
      places.push(place);
      return { name, place };
    };
    const config = (name: string, place: SourcePlace) => ({
      engine,
      namespaces: { default: {}, [NS]: { history_size: 10 } },
      limits: { max_body_bytes: 4096 },
      sources: { [name]: place.config },
    });
    const node = async (name: string, place: SourcePlace, options = {}) => {
      const server = await startServer(config(name, place), options);
      servers.push(server);
      return server;
    };
    const subscriber = async (server: TestServer, chs: string[]) => {
      const client = await TestClient.connect(server.wsUrl);
      clients.push(client);
      for (const ch of chs) await client.subscribe(ch);
      return client;
    };
    const counters = (herald: Herald) => herald.sources.runners[0]!.counters;
    const sourceState = async (server: TestServer, name: string) => ((await api(server, '/readyz')).json.sources as Record<string, { up: boolean; lag: number }> | undefined)?.[name];
    const lagZero = (server: TestServer, name: string) =>
      waitUntil(async () => {
        const s = await sourceState(server, name);
        return s?.up === true && s.lag === 0;
      }, 15_000, () => `source ${name} up with lag 0 on ${server.url}`);

    after(async () => {
      for (const c of clients) c.close();
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(places.map((p) => p.remove()));
      await deleteRedisKeys(REDIS_URL, prefix);
    });

    it('a committed record reaches a WebSocket subscriber, data byte-exact, and /readyz lists the source', async () => {
      const { name, place } = await fresh();
      const server = await node(name, place);
      const [ch] = channels(1) as [string];
      const client = await subscriber(server, [ch]);
      await place.write([{ channel: ch, event: 'created', data: '{"id":7,"big":12345678901234567890,"x":1.0}' }]);
      const frame = (await client.waitFor((f) => f.type === 'message' && f.channel === ch, 10_000)) as { event?: string };
      assert.equal(frame.event, 'created');
      const raw = await new Promise<string>((resolve) => {
        client.ws.once('message', (d) => resolve(d.toString()));
        void place.write([{ channel: ch, data: '{"big":12345678901234567890,"x":1.0}' }]);
      });
      assert.match(raw, /"data":\{"big":12345678901234567890,"x":1\.0\}/);
      await lagZero(server, name);
      assert.equal(counters(server.herald).published, 2);
    });

    it('a record redelivered with the same idempotency key is published once', async () => {
      const { name, place } = await fresh();
      const server = await node(name, place);
      const [ch] = channels(1) as [string];
      const client = await subscriber(server, [ch]);
      const key = `k_${randomBytes(4).toString('hex')}`;
      await place.write([{ channel: ch, data: '{"seq":0}', key }]);
      await client.waitForMessages(1, ch, 10_000);
      await place.write([{ channel: ch, data: '{"seq":0}', key }, { channel: ch, data: '{"seq":1}' }]);
      await client.waitForMessages(2, ch, 10_000);
      await lagZero(server, name);
      assertOncePerChannelInOrder(client, [ch], 2, 'subscriber');
      assert.equal(counters(server.herald).duplicates, 1);
    });

    it('poison (bad JSON, unknown namespace, oversize) goes to the dead letters with a log line and a metric; the source goes on', async () => {
      const { name, place } = await fresh();
      const { logger, lines } = capturingLogger();
      const server = await node(name, place, { logger });
      const [ch] = channels(1) as [string];
      const client = await subscriber(server, [ch]);
      await place.write([
        { channel: ch, data: '{"seq":' },
        { channel: `nope${prefix}:x`, data: '{}' },
        { channel: ch, data: `"${'x'.repeat(5000)}"` },
        { channel: ch, data: '{"seq":0}' },
      ]);
      await client.waitForMessages(1, ch, 10_000);
      await waitUntil(async () => (await place.deadLetters()).length === 3 || undefined, 10_000, () => 'three dead letters');
      const reasons = (await place.deadLetters()).map((r) => r.split(':')[0]).sort();
      assert.deepEqual(reasons, ['bad_json', 'payload_too_large', 'unknown_channel']);
      assertOncePerChannelInOrder(client, [ch], 1, 'subscriber');
      assert.deepEqual(Object.fromEntries(counters(server.herald).failed), { bad_json: 1, unknown_channel: 1, payload_too_large: 1 });
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string; source?: string }).filter((l) => l.msg.includes('dead-letter'));
      assert.deepEqual(logged.map((l) => [l.source, l.reason]).sort(), [[name, 'bad_json'], [name, 'payload_too_large'], [name, 'unknown_channel']]);
      const metrics = (await (await fetch(`${server.url}/metrics`)).text()).split('\n');
      assert.ok(metrics.includes(`herald_source_records_failed_total{source="${name}",reason="bad_json"} 1`), 'failed metric by reason');
      await lagZero(server, name);
    });

    it('10 000 records, 2 nodes consuming: each subscriber sees each exactly once, in per-channel order', async () => {
      const { name, place } = await fresh();
      const [a, b] = [await node(name, place), await node(name, place)] as [TestServer, TestServer];
      const chs = channels(8);
      const perChannel = 1250;
      const subs = [await subscriber(a, chs), await subscriber(b, chs)];
      const records = interleaved(chs, perChannel);
      for (let i = 0; i < records.length; i += 2500) await place.write(records.slice(i, i + 2500));
      for (const [i, sub] of subs.entries()) {
        await waitUntil(() => chs.every((ch) => sub.messages(ch).length >= perChannel) || undefined, 60_000, () => `subscriber ${i}: ${sub.messages().length} of ${records.length}`);
      }
      await Promise.all([lagZero(a, name), lagZero(b, name)]);
      for (const [i, sub] of subs.entries()) assertOncePerChannelInOrder(sub, chs, perChannel, `subscriber ${i}`);
      const [ca, cb] = [counters(a.herald), counters(b.herald)];
      // A publish whose reply an engine timeout lost is retried and found published: a duplicate, not a second publish.
      const published = ca.published + cb.published;
      assert.ok(published <= records.length && published + ca.duplicates + cb.duplicates >= records.length, `each record published once by the engine (${published} published, ${ca.duplicates + cb.duplicates} found published already)`);
      if (harness.shares !== false) assert.ok(ca.published > 0 && cb.published > 0, `both nodes shared the work (${ca.published} + ${cb.published})`);
    });

    describe('faults', () => {
      let dir: string;
      before(() => {
        dir = mkdtempSync(join(tmpdir(), 'herald-sources-'));
      });
      after(() => rmSync(dir, { recursive: true, force: true }));

      it('kill -9 of a consuming node mid-batch: 0 lost, 0 duplicated, lag back to 0', async () => {
        const { name, place } = await fresh();
        const port = await freePort();
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, stringify({ ...config(name, place), auth: { api_keys: [API_KEY] }, log: { level: 'warn' }, server: { host: '127.0.0.1', port, demo: false } }));
        const child = new PrivateServer(port, process.execPath, [BIN, 'serve', '--workers', '1', '--config', file]);
        // What the child itself says it published, from its own /metrics (it runs in another process).
        const childPublished = async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
          const line = (await res.text()).split('\n').find((l) => l.startsWith(`herald_source_records_published_total{source="${name}"} `));
          return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
        };
        await child.restart();
        try {
          const survivor = await node(name, place);
          // Many channels, so that each node's partitions get some of them whatever the partitioning.
          const chs = channels(16);
          const perChannel = 250;
          const total = chs.length * perChannel;
          const sub = await subscriber(survivor, chs);
          // Which node takes which part first is a matter of timing (a node may hold everything until
          // the other has announced itself): trickle records until the child has published some of
          // its own, keeping most of them back so it is mid-stream when killed.
          const trickle = perChannel / 2;
          let written = 0;
          let childState = '';
          const started = await waitUntil(
            async () => {
              childState = JSON.stringify(((await (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) })).json()) as { sources?: Record<string, unknown> }).sources?.[name]);
              const published = await childPublished();
              if (published > 0) return published;
              if (written < trickle) {
                await place.write(interleaved(chs, perChannel, written, written + 1));
                written += 1;
              }
              await sleep(100);
              return undefined;
            },
            30_000,
            () => `the child node publishing records of its own (${written} of ${perChannel} per channel written, ${sub.messages().length} received, child's source ${childState})`,
          );
          const rest = interleaved(chs, perChannel, written);
          for (let i = 0; i < rest.length; i += 500) await place.write(rest.slice(i, i + 500)); // bounded bursts: a loaded broker answers each in time
          // Kill it mid-stream: as soon as its count grows again, or, if its partitions went quiet
          // (the outbox hands busy partitions to whichever loop asks first), once half the stream
          // has arrived; either way it has published records of its own and more are pending.
          let atKill = started;
          for (const until = Date.now() + 10_000; Date.now() < until; await sleep(50)) {
            atKill = await childPublished();
            if (atKill > started || sub.messages().length > total / 2) break;
          }
          const pendingAtKill = total - sub.messages().length;
          await child.kill();
          assert.ok(pendingAtKill > 0, 'records were still pending when the child was killed');
          await waitUntil(() => chs.every((ch) => sub.messages(ch).length >= perChannel) || undefined, 60_000, () => `${sub.messages().length} of ${total}`);
          await lagZero(survivor, name);
          assertOncePerChannelInOrder(sub, chs, perChannel, 'subscriber');
          const survived = counters(survivor.herald).published;
          assert.ok(atKill > 0 && survived < total, `the killed node had published part of them (${atKill} by the child, ${survived} by the survivor)`);
          assert.ok(survived + atKill <= total, `each record published once by the engine (${atKill} by the child, ${survived} by the survivor, of ${total})`);
        } finally {
          await child.kill();
        }
      });

      it('connections to the medium cut during a stream: recovers, 0 lost, 0 duplicated, lag back to 0', async () => {
        const { name, place } = await fresh();
        const [a, b] = [await node(name, place), await node(name, place)] as [TestServer, TestServer];
        const chs = channels(4);
        const perChannel = 600;
        const sub = await subscriber(b, chs);
        await place.write(interleaved(chs, perChannel, 0, 200));
        await waitUntil(() => sub.messages().length >= 100 || undefined, 20_000, () => 'a first part published');
        assert.ok((await place.cutConnections(name)) > 0, 'the sources had connections to cut');
        await place.write(interleaved(chs, perChannel, 200, 400));
        await place.cutConnections(name);
        await place.write(interleaved(chs, perChannel, 400, perChannel));
        await waitUntil(() => chs.every((ch) => sub.messages(ch).length >= perChannel) || undefined, 60_000, () => `${sub.messages().length} of ${chs.length * perChannel}`);
        await Promise.all([lagZero(a, name), lagZero(b, name)]);
        assertOncePerChannelInOrder(sub, chs, perChannel, 'subscriber');
      });
    });
  });
}
