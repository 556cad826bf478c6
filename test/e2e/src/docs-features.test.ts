/**
 * The feature docs, run as written against this checkout's build: docs/pusher.md,
 * docs/sources.md, docs/migrating.md, docs/hooks.md and the control-API section of docs/api.md.
 * Every fenced block is run (or carries a `<!-- not-run: reason -->` mark); one that is neither
 * fails the test. How the docs meet the test (the rest is verbatim):
 * - nodes start from the docs' own command lines (`… npx herald serve …`) with PORT set to a free
 *   port; `127.0.0.1:8080`, `wsPort: 8080`, `port: '8080'` and `--port 8080` are rewritten to it;
 * - a YAML block the doc tells you to put in herald.yaml is written to herald.yaml in a scratch
 *   directory inside the repository (so `npx herald` resolves to this checkout);
 * - sources.md: its database URL becomes the real PostgreSQL's db `test`, its table and streams get
 *   a unique schema and prefix (as does the Redis engine's `engine.prefix`); SQL runs in psql;
 * - sources.md, RabbitMQ, MQTT and JetStream: each YAML block is a herald.yaml of its own, run
 *   side by side on the machine's brokers; its queues, topics, stream, MQTT client id and source
 *   name (which names the MQTT leases) get this run's id, in the YAML and the producer alike;
 *   `herald sources migrate` runs before the producer, as the doc says;
 * - hooks.md: the backend listens on a free port instead of 3000, and a relay that records the
 *   calls sits between Herald and it (the JSON requests shown must be what Herald sends); the
 *   answers shown are given by the relay and their effect checked;
 * - `# → …` lines are what a command must print (`…` = anything), as in docs.install.test.ts;
 * - pusher.md's `npm run build` is the build `npm test` runs before the tests;
 * - api.md's disconnect example needs a user with three connections on three nodes: a node run
 *   with `--workers 3` and JWT_SECRET, and three WebSockets with a token of u42.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { codeBlocks, ROOT, type CodeBlock } from './markdown.js';
import { logged, runShell, shellCommands, showsInOrder, startSnippet, type ShellCommand } from './doc-runner.js';
import { HookRelay, serve, shutdown, until, within, type DocNode } from './doc-nodes.js';
import { freePort, stop, userEnv, waitForOutput, type Running } from './spawn.js';

const DOCS = ['docs/pusher.md', 'docs/sources.md', 'docs/migrating.md', 'docs/hooks.md', 'docs/api.md'];
const texts = new Map(DOCS.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
/** api.md's lines of its "## Control API" section: the part of it these docs tests cover. */
function controlSection(): [number, number] {
  const lines = texts.get('docs/api.md')!.split('\n');
  const first = lines.indexOf('## Control API') + 1;
  const next = lines.findIndex((l, i) => i >= first && /^## /.test(l));
  return [first, next + 1];
}
const [controlFrom, controlTo] = controlSection();
const blocks = DOCS.flatMap((f) => codeBlocks(f, texts.get(f)!)).filter((b) => b.file !== 'docs/api.md' || (b.line > controlFrom && b.line < controlTo));
const where = (b: CodeBlock) => `${b.file}:${b.line}`;
const ran = new Set<CodeBlock>();

function block(file: string, needle: string | RegExp): CodeBlock {
  const found = blocks.filter((b) => b.file === file && !b.notRun && (typeof needle === 'string' ? b.text.includes(needle) : needle.test(b.text)));
  assert.equal(found.length, 1, `${file}: expected one block with ${needle}, found ${found.length}`);
  return found[0]!;
}

const localize = (text: string, port: number) =>
  text.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`).replaceAll('wsPort: 8080', `wsPort: ${port}`).replaceAll("port: '8080'", `port: '${port}'`).replaceAll('--port 8080', `--port ${port}`);

/** A WebSocket whose frames are kept, parsed. */
interface BrokerSection {
  type: 'rabbitmq' | 'mqtt' | 'jetstream';
  /** What identifies the section's producer block. */
  producer: string;
  /** Its queue, topic or stream names made this run's own (the same in the YAML and the producer). */
  rename: (text: string) => string;
  channel: string;
  event: string;
  data: unknown;
  /** Checks `herald sources test <name>` with the producer's message waiting. */
  dryRun: (result: { code: number | null; stdout: string; stderr: string }, source: string) => void;
  /** A module removing what the section made on the broker. */
  cleanup: string;
}

function socket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (m: Buffer) => frames.push(JSON.parse(m.toString()) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  return { ws, frames, closed, send: (frame: unknown) => ws.send(JSON.stringify(frame)) };
}

describe('the feature docs, run as written against this build', () => {
  const id = randomBytes(4).toString('hex');
  let work = '';
  let node: DocNode | undefined;
  const background: Running[] = [];
  const sockets: WebSocket[] = [];
  const env = () => userEnv({});
  const sh = async (b: CodeBlock, commands: string | ShellCommand[], extra: NodeJS.ProcessEnv = {}, cwd = work) => {
    for (const c of typeof commands === 'string' ? shellCommands(commands) : commands) {
      const r = await runShell(c.command, cwd, { ...env(), ...extra }, 60_000);
      assert.equal(r.code, c.exit, `${where(b)}: \`${c.command}\` exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.ok(showsInOrder(r.stdout, c.output), `${where(b)}: \`${c.command}\` printed\n${r.stdout}\nnot what the doc shows:\n${c.output.join('\n')}`);
    }
  };
  const open = (url: string, headers?: Record<string, string>) => {
    const s = socket(url, headers);
    sockets.push(s.ws);
    return s;
  };
  const snippet = (b: CodeBlock, code: string, extra: NodeJS.ProcessEnv = {}) => {
    const p = startSnippet(work, `doc-${b.file.replace(/\W/g, '-')}-${b.line}`, code, { ...env(), ...extra });
    background.push(p);
    return p;
  };
  const finish = async (p: Running, what: string) => {
    const timer = setTimeout(() => stop(p, 'SIGKILL'), 30_000);
    const code = await p.exited;
    clearTimeout(timer);
    assert.equal(code, 0, `${what} exited ${code}: ${p.stderr()}`);
  };
  const history = async (channel: string, at: DocNode = node!) => {
    const r = await fetch(`${at.base}/api/channels/${encodeURIComponent(channel)}/history`, { headers: { authorization: `Bearer ${at.secret}` } });
    return r.text();
  };

  before(() => {
    // Inside the repository (ignored by git) so snippets' imports and `npx herald` resolve here.
    work = mkdtempSync(join(ROOT, '.herald-test-docs-'));
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    for (const p of background) stop(p, 'SIGKILL');
    await shutdown(node);
    rmSync(work, { recursive: true, force: true });
  });

  it('pusher.md: the quick start, pusher-js and the pusher package, and the configuration', { timeout: 120_000 }, async () => {
    const quick = block('docs/pusher.md', 'PUSHER_APP_ID=1');
    // Its `npm run build` is the build `npm test` runs before every test (run again here, it
    // would rewrite the client bundle under the browser tests running beside this one).
    const [build, start] = shellCommands(quick.text);
    assert.equal(build!.command, 'npm run build');
    const port = await freePort();
    node = await serve(localize(start!.command, port), port, work, env());
    ran.add(quick);

    const browser = block('docs/pusher.md', "new Pusher('app-key'");
    // The browser's global Pusher, from the pusher-js package.
    const sub = snippet(browser, `import Pusher from 'pusher-js';\nglobalThis.Pusher = Pusher;\n${localize(browser.text, port)}`);
    const subscribers = async () =>
      ((await (await fetch(`${node!.base}/api/channels/pusher-1%3Amy-channel`, { headers: { authorization: `Bearer ${node!.secret}` } })).json()) as { subscribers: number }).subscribers;
    await until(async () => (await subscribers()) === 1, `${where(browser)} subscribes to my-channel`);
    const backend = block('docs/pusher.md', "import Pusher from 'pusher'");
    await finish(snippet(backend, localize(backend.text, port)), where(backend));
    await waitForOutput(sub, /hello/, 10_000, 'stdout');
    assert.deepEqual(logged(sub), [[{ message: 'hello' }]]);
    ran.add(browser).add(backend);
    stop(sub);
    await shutdown(node);

    // The configuration, as herald.yaml: the same app answers the backend's signed trigger.
    const config = block('docs/pusher.md', /^pusher:\n/);
    writeFileSync(join(work, 'herald.yaml'), config.text);
    const port2 = await freePort();
    node = await serve('npx herald serve --config herald.yaml', port2, work, env());
    await finish(snippet(backend, localize(backend.text, port2)), `${where(backend)} against ${where(config)}`);
    assert.match(await history('pusher-1:my-channel'), /"event":"my-event","data":\{"message":"hello"\}/);
    ran.add(config);
    await shutdown(node);
    node = undefined;
  });

  it('sources.md: the outbox SQL, the migration and dry run, a committed publish and an XADD reach subscribers', { timeout: 120_000 }, async () => {
    const schema = `docs_${id}`;
    // SQL blocks run as a user pastes them into psql, in the test's own schema.
    const psql = async (b: CodeBlock, sql: string) => {
      const r = await runShell(`PGOPTIONS='-c search_path=${schema}' psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres test <<'SQL'\n${sql}\nSQL`, work, env(), 30_000);
      assert.equal(r.code, 0, `${where(b)}: psql exited ${r.code}\n${r.stderr}`);
    };
    const ownEnv = { HERALD_ENGINE__PREFIX: `docs-${id}` };
    const config = block('docs/sources.md', 'type: postgres');
    const streams = (text: string) => text.replace(/\bevents:(\d)/g, `docs-${id}-events:$1`);
    writeFileSync(
      join(work, 'herald.yaml'),
      streams(config.text.replace('postgres://app@db.internal:5432/shop', 'postgres://postgres@127.0.0.1:5432/test').replace('table: herald_outbox', `table: ${schema}.herald_outbox`)),
    );
    try {
      const migration = block('docs/sources.md', 'CREATE TABLE IF NOT EXISTS herald_outbox');
      const publish = block('docs/sources.md', 'BEGIN;');
      // The application's own schema and `orders` table, which the publish example updates.
      await psql(migration, `CREATE SCHEMA ${schema}; CREATE TABLE orders (id int PRIMARY KEY, status text); INSERT INTO orders VALUES (42, 'new');`);
      await psql(migration, migration.text);
      ran.add(migration);
      const cli = block('docs/sources.md', 'sources migrate');
      const [migrate, dryRun] = shellCommands(cli.text);
      await sh(cli, [migrate!], ownEnv);
      await psql(publish, publish.text);
      ran.add(publish);
      await sh(cli, [dryRun!], ownEnv);
      ran.add(cli).add(config);

      const port = await freePort();
      node = await serve('npx herald serve --config herald.yaml', port, work, { ...env(), ...ownEnv });
      // Committed before the node started: published once it consumes, the data as written.
      let orders = '';
      await until(async () => (orders = await history('orders:42')).includes('"offset":1'), 'orders:42 published from the outbox');
      assert.match(orders, /"publications":\[\{"offset":1,"event":"updated","data":\{"status":"paid","total":10.50\}\}\]/);

      const xadd = block('docs/sources.md', 'redis-cli XADD');
      const sub = open(`ws://127.0.0.1:${port}/ws`);
      await until(() => sub.frames.some((f) => f.type === 'connected'), 'connected');
      sub.send({ id: 1, type: 'subscribe', channel: 'devices:d7' });
      await until(() => sub.frames.some((f) => f.type === 'reply'), 'subscribed to devices:d7');
      assert.equal(sub.frames.find((f) => f.type === 'reply')?.ok, true, JSON.stringify(sub.frames));
      await sh(xadd, streams(xadd.text));
      ran.add(xadd);
      await until(() => sub.frames.some((f) => f.type === 'message'), 'the XADDed entry reaches the subscriber');
      const message = sub.frames.find((f) => f.type === 'message')!;
      assert.deepEqual([message.channel, message.event, message.data], ['devices:d7', 'reading', { t: 21.5 }]);
      const ready = (await (await fetch(`${node.base}/readyz`)).json()) as { sources: Record<string, { up: boolean }> };
      assert.deepEqual(Object.keys(ready.sources).sort(), ['device_events', 'orders_outbox']);
    } finally {
      sockets.forEach((ws) => ws.terminate());
      await shutdown(node);
      node = undefined;
      await runShell(`psql -X -q -h 127.0.0.1 -U postgres test -c 'DROP SCHEMA IF EXISTS ${schema} CASCADE'`, work, env());
      await runShell(`redis-cli --scan --pattern 'docs-${id}*' | xargs -r redis-cli DEL > /dev/null`, work, env());
    }
  });

  /**
   * A broker source's section: its YAML as herald.yaml, `herald sources migrate`, the doc's
   * producer before any node runs (the dry run shows the record, a node then publishes it once),
   * and again while a WebSocket subscriber listens.
   */
  const brokerSection = async (s: BrokerSection) => {
    const config = block('docs/sources.md', `type: ${s.type}`);
    const producer = block('docs/sources.md', s.producer);
    const produce = () => finish(snippet(producer, s.rename(producer.text)), where(producer));
    // A directory of its own: the three sections run side by side, each with its herald.yaml.
    const dir = join(work, s.type);
    mkdirSync(dir);
    writeFileSync(join(dir, 'herald.yaml'), s.rename(config.text));
    const source = /^ {2}(\w+):\n {4}type: /m.exec(s.rename(config.text))![1]!;
    let own: DocNode | undefined;
    try {
      await sh(config, `npx herald sources migrate --config herald.yaml\n# → ${source}: ready (${s.type})`, {}, dir);
      await produce();
      s.dryRun(await runShell(`npx herald sources test ${source} --config herald.yaml`, dir, env(), 30_000), source);
      const port = await freePort();
      own = await serve('npx herald serve --config herald.yaml', port, dir, env());
      const published = (n: number) => `"publications":[${Array.from({ length: n }, (_, i) => `{"offset":${i + 1},"event":"${s.event}","data":${JSON.stringify(s.data)}}`).join(',')}]`;
      await until(async () => (await history(s.channel, own)).includes(published(1)), `${where(producer)}: sent before the node ran, published once it consumes`);
      const sub = open(`ws://127.0.0.1:${port}/ws`);
      await until(() => sub.frames.some((f) => f.type === 'connected'), 'connected');
      sub.send({ id: 1, type: 'subscribe', channel: s.channel });
      await until(() => sub.frames.some((f) => f.type === 'reply'), `subscribed to ${s.channel}`);
      await produce();
      await until(() => sub.frames.some((f) => f.type === 'message'), `${where(producer)} reaches the subscriber`);
      const message = sub.frames.find((f) => f.type === 'message')!;
      assert.deepEqual([message.channel, message.event, message.data], [s.channel, s.event, s.data]);
      const both = await history(s.channel, own);
      assert.ok(both.includes(published(2)), `each message published once: ${both}`);
      sub.ws.terminate();
      ran.add(config).add(producer);
    } finally {
      await shutdown(own);
      await finish(startSnippet(work, `cleanup-${s.type}`, s.cleanup, env()), `cleaning up after ${where(config)}`);
    }
  };

  it('sources.md: RabbitMQ, MQTT and JetStream, each from its YAML: migrate, dry run, the producer shown reaches subscribers', { timeout: 120_000 }, async () => {
    const amqp = 'amqp://guest:guest@127.0.0.1:5672';
    const queues = [0, 1, 2, 3].map((i) => `docs-${id}-orders.${i}`);
    const rabbitmq = brokerSection({
      type: 'rabbitmq',
      producer: "from 'amqplib'",
      rename: (t) => t.replaceAll('orders.', `docs-${id}-orders.`),
      channel: 'orders:42',
      event: 'updated',
      data: { status: 'paid' },
      dryRun: (r, source) => {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^\\{"record":"([0-9a-f-]{36})","channel":"orders:42","event":"updated","data":\\{"status":"paid"\\},"idempotency_key":"${source}\\.\\1"\\}$`, 'm'));
      },
      cleanup: `import amqp from 'amqplib';\nconst conn = await amqp.connect('${amqp}');\nconst ch = await conn.createChannel();\nfor (const q of ${JSON.stringify([...queues, ...queues.map((q) => `${q}.dead`), `${queues[0]}.herald-nodes`])}) await ch.deleteQueue(q);\nawait conn.close();`,
    });
    const session = `herald-${id}`;
    const mqtt = brokerSection({
      type: 'mqtt',
      producer: "from 'mqtt'",
      rename: (t) => t.replaceAll('devices/', `docs-${id}-devices/`).replace('client_id: herald-prod', `client_id: ${session}`).replace(/^ {2}devices:$/m, `  devices_${id}:`),
      channel: 'devices:d7',
      event: 'temperature',
      data: { t: 21.5 },
      dryRun: (r) => assert.deepEqual([r.code, /cannot be read without taking its records/.test(r.stderr)], [1, true], r.stderr),
      cleanup: `import mqtt from 'mqtt';\nconst session = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: '${session}-devices_${id}-0', protocolVersion: 5, clean: true });\nawait session.endAsync();\nconst c = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });\nawait c.publishAsync('herald/leases/devices_${id}/leases/0', '', { qos: 1, retain: true });\nawait c.endAsync();`,
    });
    const stream = `ORDERS_${id}`;
    const jetstream = brokerSection({
      type: 'jetstream',
      producer: "from '@nats-io/jetstream'",
      rename: (t) => t.replaceAll('orders.p', `docs-${id}.orders.p`).replace('stream: ORDERS', `stream: ${stream}`),
      channel: 'orders:42',
      event: 'updated',
      data: { status: 'paid' },
      dryRun: (r, source) => {
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.split('\n').includes(`{"record":"${stream}:1","channel":"orders:42","event":"updated","data":{"status":"paid"},"idempotency_key":"${source}.${stream}:1"}`), r.stdout);
      },
      cleanup: `import { connect } from '@nats-io/transport-node';\nimport { jetstreamManager } from '@nats-io/jetstream';\nconst nc = await connect({ servers: '127.0.0.1:4222' });\nconst jsm = await jetstreamManager(nc);\nfor (const s of ['${stream}', '${stream}_dead', 'KV_herald_leases_${stream}']) await jsm.streams.delete(s).catch(() => {});\nawait nc.close();`,
    });
    // Each settles (its node stopped, its broker cleaned) before the first failure is reported.
    const failed = (await Promise.allSettled([rabbitmq, mqtt, jetstream])).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });

  it('migrating.md: each seed mode starts from its command line and serves the seed', { timeout: 120_000 }, async () => {
    // Seed 000: a JWT client of /ws?channel= gets what its simulator posts to /update.
    const seed000 = block('docs/migrating.md', 'HERALD_COMPAT__SEED000__ENABLED=true');
    let port = await freePort();
    node = await serve(seed000.text, port, work, env());
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setExpirationTime('5m').sign(new TextEncoder().encode('a-jwt-secret-of-16-chars-or-more'));
    const cli = open(`ws://127.0.0.1:${port}/ws?token=${jwt}&channel=orders`);
    await within(new Promise((r) => cli.ws.once('open', r)), 10_000, 'the seed 000 client connects');
    const simulate = await runShell(`npx herald simulate --url ${node.base} --channels orders --count 1`, work, { ...env(), TIME_TOKEN_SECRET: 'your-time-token-secret', TIME_WINDOW_SECONDS: '3600' }, 30_000);
    assert.equal(simulate.code, 0, simulate.stderr);
    await until(() => cli.frames.length === 1, 'the seed 000 client gets the simulated order');
    ran.add(seed000);
    await shutdown(node);

    // Seed 001: its YAML file's channel answers the pages' probe.
    const seed001 = block('docs/migrating.md', 'CONFIG_FOLDER_PATH=./config.yaml');
    const chat = '742fc7fe-1527-4184-8945-10b30bf01347';
    writeFileSync(join(work, 'config.yaml'), `server:\n  allow_create_new_channels: true\n  allow_all_origins: true\npubsub:\n  driver: "MEMORY"\nchannels:\n  my-chat-example:\n    id: "${chat}"\n    type: "WS"\n    max_of_channel_connections: 100\n`);
    port = await freePort();
    node = await serve(localize(seed001.text, port), port, work, env());
    const probe = await fetch(`${node.base}/api/v1/channels/${chat}?clientId=c1&upgrade=0`);
    assert.deepEqual([probe.status, await probe.json()], [200, { message: 'OK' }]);
    ran.add(seed001);
    await shutdown(node);

    // Seed 002: the playground's socket gets the broadcast of an uncredentialed POST /api/event.
    const seed002 = block('docs/migrating.md', 'HERALD_COMPAT__SEED002__ENABLED=true');
    port = await freePort();
    node = await serve(seed002.text, port, work, env());
    const player = open(`ws://127.0.0.1:${port}/ws?user_id=alice`);
    await within(new Promise((r) => player.ws.once('open', r)), 10_000, 'the seed 002 playground connects');
    player.send({ type: 'subscribe', channel: 'room1', listen: ['broadcast', 'presence'] });
    await until(() => player.frames.some((f) => f.type === 'presence_sync'), 'presence_sync');
    const event = await fetch(`${node.base}/api/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'room1', payload: { n: 1 } }) });
    assert.equal(event.status, 200);
    await until(() => player.frames.some((f) => f.type === 'broadcast'), 'the broadcast');
    assert.deepEqual(player.frames.find((f) => f.type === 'broadcast')?.payload, { n: 1 });
    ran.add(seed002);
    await shutdown(node);
    node = undefined;
  });

  it('hooks.md: the configuration and the backend shown; the requests Herald sends and the answers shown', { timeout: 120_000 }, async () => {
    const config = block('docs/hooks.md', /^hooks:\n/);
    const server = block('docs/hooks.md', 'createServer(');
    const secret = /secret: (\S+)/.exec(config.text)![1]!;
    const [relayPort, backendPort, port] = [await freePort(), await freePort(), await freePort()];
    const relay = new HookRelay(backendPort, secret);
    await relay.listen(relayPort);
    try {
      const backend = snippet(server, server.text.replace('.listen(3000,', `.listen(${backendPort},`), { HERALD_HOOK_SECRET: secret });
      writeFileSync(join(work, 'herald.yaml'), config.text.replaceAll('127.0.0.1:3000', `127.0.0.1:${relayPort}`));
      node = await serve('npx herald serve --config herald.yaml', port, work, env());
      await until(async () => fetch(`http://127.0.0.1:${backendPort}/`, { method: 'POST', body: '{}' }).then(() => true, () => false), 'the backend listens');
      relay.calls.length = 0;

      // A browser with a session cookie, through the doc's backend.
      const client = open(`ws://127.0.0.1:${port}/ws`, { cookie: 'session=s%3Aab12; other=x', 'user-agent': 'Mozilla/5.0 (docs test)' });
      await until(() => client.frames.some((f) => f.type === 'subscribed'), 'connected and subscribed by the connect hook');
      assert.deepEqual(client.frames.slice(0, 2).map((f) => [f.type, f.user ?? f.channel]), [['connected', 'u42'], ['subscribed', 'orders:u42']]);
      client.send({ id: 7, type: 'rpc', method: 'getProfile', data: { id: 9 } });
      client.send({ id: 8, type: 'subscribe', channel: 'chat:room1' });
      await until(() => client.frames.filter((f) => f.type === 'reply').length === 2, 'rpc and subscribe answered');
      client.send({ id: 9, type: 'publish', channel: 'chat:room1', event: 'said', data: { text: 'oh darn' } });
      await until(() => client.frames.some((f) => f.type === 'message'), 'the publication');
      assert.deepEqual(client.frames.find((f) => f.id === 7), { type: 'reply', id: 7, ok: true, result: { data: { method: 'getProfile', ok: true } } });
      assert.deepEqual(client.frames.find((f) => f.type === 'message')?.data, { text: 'oh darn' });
      ran.add(config).add(server);

      // Each request shown: the fields Herald sends, and the values the client's actions fix.
      const shown = (needle: string) => {
        const b = block('docs/hooks.md', needle);
        ran.add(b);
        return JSON.parse(b.text) as Record<string, unknown>;
      };
      const connect = shown('"address":"203.0.113.7"');
      const sent = relay.of('connect')[0]!.body;
      assert.deepEqual(Object.keys(sent).sort(), Object.keys(connect).sort());
      assert.deepEqual([sent.transport, sent.headers, sent.cookies], [connect.transport, { 'user-agent': 'Mozilla/5.0 (docs test)' }, { session: 's:ab12' }]);
      assert.match(String((connect.cookies as Record<string, string>).session), /^s:ab12/);
      for (const [hook, needle] of [['subscribe', '"channel":"chat:room1"}'], ['publish', '"event":"said"'], ['rpc', '"method":"getProfile"']] as const) {
        const doc = shown(needle);
        const call = relay.of(hook)[0]?.body;
        assert.ok(call, `the ${hook} hook was called`);
        assert.deepEqual(Object.keys(call).sort(), Object.keys(doc).sort(), hook);
        assert.deepEqual({ ...call, client: '' }, { ...doc, client: '' }, hook);
      }

      // The answers shown, given by the relay: the connect answer's effect, then the refresh's.
      const connectAnswer = block('docs/hooks.md', '"data":{"plan":"pro"}');
      const refreshAnswers = block('docs/hooks.md', '"expired":true').text.split('\n');
      const soon = () => connectAnswer.text.replace(/"expires":\d+/, `"expires":${Math.floor(Date.now() / 1000) + 1}`);
      let refreshed = 0;
      relay.answer = (call) => {
        if (call.path.endsWith('/refresh')) return refreshAnswers[call.body.user === 'u42' && refreshed++ === 0 ? 0 : 1];
        return call.path.endsWith('/connect') ? (relay.of('connect').length === 2 ? connectAnswer.text : soon()) : undefined;
      };
      const shownAnswer = open(`ws://127.0.0.1:${port}/ws`);
      await until(() => shownAnswer.frames.length >= 2, 'connected with the answer shown');
      assert.deepEqual(shownAnswer.frames.slice(0, 2).map((f) => [f.type, f.user ?? f.channel, f.data ?? f.server]), [['connected', 'u42', { plan: 'pro' }], ['subscribed', 'orders:u42', true]]);
      // Expiring in a second: the first refresh answer extends the session, the second ends it.
      const extended = open(`ws://127.0.0.1:${port}/ws`);
      await until(() => relay.of('refresh').length === 1, 'the session reaches its expires', 5000);
      const ended = open(`ws://127.0.0.1:${port}/ws`);
      assert.equal((await within(ended.closed, 10_000, 'the session ended by {"result":{"expired":true}}')).code, 4004);
      assert.equal(extended.ws.readyState, WebSocket.OPEN, 'extended by {"result":{"expires":…}}');
      assert.equal(relay.of('refresh').length, 2);
      ran.add(connectAnswer).add(block('docs/hooks.md', '"expired":true'));
      stop(backend);
    } finally {
      await relay.close();
      await shutdown(node);
      node = undefined;
    }
  });

  it('api.md, control API: disconnecting a user with three connections on three nodes', { timeout: 120_000 }, async () => {
    const jwtSecret = `docs-jwt-${id}-0123456789`;
    const port = await freePort();
    node = await serve('npx herald serve --workers 3', port, work, { ...env(), JWT_SECRET: jwtSecret });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u42').setExpirationTime('5m').sign(new TextEncoder().encode(jwtSecret));
    const users = [0, 1, 2].map(() => open(`ws://127.0.0.1:${port}/ws?token=${token}`));
    for (const u of users) {
      await until(() => u.frames.some((f) => f.type === 'connected'), 'u42 connected');
      u.send({ id: 1, type: 'subscribe', channel: 'orders:42' });
    }
    const auth = { authorization: `Bearer ${node.secret}` };
    let listed: { nodes: number; connections: Array<Record<string, unknown>> } = { nodes: 0, connections: [] };
    await until(async () => {
      listed = (await (await fetch(`${node!.base}/api/users/u42/connections`, { headers: auth })).json()) as typeof listed;
      // /readyz answers as soon as one worker does: wait for all three to answer too.
      return listed.nodes === 3 && listed.connections.length === 3 && listed.connections.every((c) => (c.channels as string[]).length === 1);
    }, 'three connections of u42, each on orders:42, on three nodes');
    const example = block('docs/api.md', '"connections":[');
    const shown = JSON.parse(example.text) as typeof listed;
    assert.deepEqual(Object.keys(listed).sort(), Object.keys(shown).sort());
    assert.deepEqual(Object.keys(listed.connections[0]!).sort(), Object.keys(shown.connections[0]!).sort());
    assert.deepEqual([listed.nodes, listed.connections[0]!.transport, listed.connections[0]!.channels], [shown.nodes, 'websocket', ['orders:42']]);
    ran.add(example);

    const disconnect = block('docs/api.md', '/api/users/u42/disconnect');
    await sh(disconnect, localize(disconnect.text, port), { HERALD_SECRET: node.secret });
    for (const u of users) assert.deepEqual(await within(u.closed, 10_000, 'u42 disconnected'), { code: 4500, reason: 'logged out' });
    ran.add(disconnect);
  });

  it('every block ran, or says why it cannot', () => {
    const marked = blocks.filter((b) => b.notRun);
    const missed = blocks.filter((b) => !b.notRun && !ran.has(b)).map(where);
    console.log(`feature docs: ${blocks.length} blocks in ${DOCS.join(', ')} (api.md: its control API): ${ran.size} run, ${marked.length} marked not-run`);
    assert.deepEqual(missed, [], 'blocks neither run nor marked <!-- not-run: reason -->');
    assert.deepEqual(marked.filter((b) => ran.has(b)).map(where), [], 'a marked block ran: drop its mark');
  });
});
