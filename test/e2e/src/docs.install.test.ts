/**
 * The first five minutes, exactly as written: README.md, docs/quickstart.md and docs/cli.md run
 * against a fresh clone of this repository (its committed HEAD) started with the quick start's
 * own commands: `git clone <this repository> herald && cd herald`, `npm install && npm start`.
 * The docs are read from this checkout and the node runs the committed code: commit, then run.
 *
 * Every fenced block of those docs is run, or carries a `<!-- not-run: reason -->` mark; a block
 * that is neither fails the test, and the counts are printed. How the docs meet the test:
 * - own port: the node gets PORT=<a free port> (the `npm start` of README reads it), every block's
 *   `127.0.0.1:8080` is rewritten to that port, and the CLI's default URLs are pointed at it with
 *   HERALD_URL and WS_URL (what `--url` defaults to);
 * - `hrld_dev_…` is the dev secret the node printed; `<this repository>` is this checkout;
 * - `# → …` lines are the output a command must show (`…` = anything; epochs are examples),
 *   `# exit N` its exit code (0 when not said);
 * - browser snippets run in Node 20 with `ws` and `eventsource` as the globals (doc-runner.ts);
 *   the quick start's page runs in headless Chromium (scripts/ensure-chromium.sh).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type Browser } from '@herald/server/testing/browser';
import { codeBlocks, ROOT, type CodeBlock } from './markdown.js';
import { logged, runShell, shellCommands, shownPattern, showsInOrder, startSnippet } from './doc-runner.js';
import { freePort, start, stop, userEnv, waitForOutput, type Running } from './spawn.js';

const DOCS = ['README.md', 'docs/quickstart.md', 'docs/cli.md'];
const blocks = DOCS.flatMap((file) => codeBlocks(file, readFileSync(join(ROOT, file), 'utf8')));
const where = (b: CodeBlock) => `${b.file}:${b.line}`;
const ran = new Set<CodeBlock>();

/** The one block holding `needle`; the test fails if the docs no longer have it. */
function block(file: string, needle: string | RegExp): CodeBlock {
  const found = blocks.filter((b) => b.file === file && (typeof needle === 'string' ? b.text.includes(needle) : needle.test(b.text)));
  assert.equal(found.length, 1, `${file}: expected one block with ${needle}, found ${found.length}`);
  return found[0]!;
}

describe('the docs, run as written on a fresh clone', () => {
  let work = '';
  let clone = '';
  let port = 0;
  let node: Running | undefined;
  let secret = '';
  let env: NodeJS.ProcessEnv = {};
  let browser: Browser | undefined;
  const background: Running[] = [];
  const localize = (text: string) => text.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'herald-docs-'));
    clone = join(work, 'herald');
    port = await freePort();
  });

  after(async () => {
    for (const p of background) stop(p, 'SIGKILL');
    await browser?.close();
    if (node) {
      stop(node);
      await Promise.race([node.exited, new Promise((r) => setTimeout(r, 15_000))]);
      stop(node, 'SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('clone, `npm install && npm start`: the node prints the banner README shows', { timeout: 900_000 }, async () => {
    const readme = block('README.md', 'npm install && npm start');
    const quick = block('docs/quickstart.md', 'git clone <this repository>');
    // README's first commands: the install-and-start line is the quick start's, run below; `npm
    // test` is the suite this test belongs to.
    assert.deepEqual(readme.text.split('\n').map((l) => l.replace(/\s+#.*$/, '')), ['npm install && npm start', 'npm test']);
    assert.ok(quick.text.split('\n').includes('npm install && npm start'), 'the quick start starts Herald as README does');
    node = start('bash', ['-c', quick.text.replaceAll('<this repository>', ROOT)], { cwd: work, env: userEnv({ PORT: String(port) }) });
    // The banner ends with the curl line; a fresh install and build takes a while on a busy box.
    await waitForOutput(node, /\/api\/publish\n\n/, 840_000, 'stderr');
    ran.add(readme).add(quick);
    const printed = node.stderr();
    secret = /export HERALD_SECRET=(hrld_dev_\S+)/.exec(printed)?.[1] ?? '';
    assert.ok(secret, printed);

    // The banner as README shows it: each line, at this port (where `subscribe` also names the URL).
    const banner = block('README.md', 'Herald is running on');
    const lines = printed.split('\n');
    for (const expected of localize(banner.text).split('\n')) {
      const pattern = shownPattern(expected, true);
      assert.ok(lines.some((l) => pattern.test(l)), `${where(banner)}: "${expected}" is not in the banner:\n${printed}`);
    }
    ran.add(banner);
    // The banner's `export HERALD_SECRET=…`, which README's curl uses, and where the CLI points.
    env = userEnv({ HERALD_SECRET: secret, HERALD_URL: `http://127.0.0.1:${port}`, WS_URL: `ws://127.0.0.1:${port}/ws` });
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  });

  it('every block runs and shows what the docs show; unmarked blocks that did not run fail', { timeout: 600_000 }, async () => {
    assert.ok(node && secret, 'the node started');
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${secret}` };
    const subscribers = async () => ((await (await fetch(`${base}/api/channels/orders%3A42`, { headers: auth })).json()) as { subscribers: number }).subscribers;
    /** Subscribers count across workers, a second behind at most: wait until the new one is in. */
    const joined = async (count: number, what: string) => {
      const deadline = Date.now() + 60_000;
      while ((await subscribers()) < count) {
        assert.ok(Date.now() < deadline, `${what} did not subscribe to orders:42`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // 1. Every subscriber the docs show, each in before anything is published.
    let following = 0;
    const follow = async <T>(b: CodeBlock, subscriber: T): Promise<T> => {
      ran.add(b);
      await joined(++following, where(b));
      return subscriber;
    };
    const snippet = (b: CodeBlock) => {
      const p = startSnippet(clone, `docs-${b.file.replace(/\W/g, '-')}-${b.line}`, localize(b.text), env);
      background.push(p);
      return p;
    };
    const wsBlock = block('README.md', 'new WebSocket(');
    const ws = await follow(wsBlock, snippet(wsBlock));
    const sseBlock = block('README.md', 'new EventSource(');
    const sse = await follow(sseBlock, snippet(sseBlock));
    const pageBlock = block('docs/quickstart.md', '<title>Live orders</title>');
    browser = await launchBrowser();
    // "paste the script into the console of any page on 127.0.0.1": a page of the node itself.
    const page = await browser.open(`${base}/healthz`);
    await page.setContent(localize(pageBlock.text));
    await follow(pageBlock, page);
    const cliSubBlock = block('docs/quickstart.md', 'npx herald subscribe orders:42');
    const cliSub = start('bash', ['-c', shellCommands(cliSubBlock.text)[0]!.command], { cwd: clone, env });
    background.push(cliSub);
    await follow(cliSubBlock, cliSub);
    const sdkSubBlock = block('docs/quickstart.md', "from '@herald/client'");
    const sdkSub = await follow(sdkSubBlock, snippet(sdkSubBlock));

    // 2. Everything else, in the docs' order: publishes, exports, CLI examples.
    for (const b of blocks) {
      if (ran.has(b) || b.notRun) continue;
      if (b.lang === 'sh') {
        for (const c of shellCommands(localize(b.text).replaceAll('hrld_dev_…', secret))) {
          const exported = /^export (\w+)=/.exec(c.command);
          const r = await runShell(exported ? `${c.command}\nprintenv ${exported[1]}` : c.command, clone, env);
          assert.equal(r.code, c.exit, `${where(b)}: \`${c.command}\` exited ${r.code}, the doc says ${c.exit}\n${r.stdout}\n${r.stderr}`);
          if (exported) env = { ...env, [exported[1]!]: r.stdout.trim() };
          assert.ok(showsInOrder(r.stdout, c.output), `${where(b)}: \`${c.command}\` printed\n${r.stdout}\nnot what the doc shows:\n${c.output.join('\n')}`);
        }
        ran.add(b);
      } else if (b.lang === 'js') {
        const p = snippet(b);
        const timer = setTimeout(() => stop(p, 'SIGKILL'), 60_000);
        const code = await p.exited;
        clearTimeout(timer);
        assert.equal(code, 0, `${where(b)} exited ${code}: ${p.stderr()}`);
        ran.add(b);
      }
    }
    assert.equal(env.HERALD_SECRET, secret, 'the quick start exports the printed secret');

    // 3. What was published, from the channel's history; every subscriber saw exactly that.
    const history = (await (await fetch(`${base}/api/channels/orders%3A42/history`, { headers: auth })).json()) as {
      epoch: string;
      publications: Array<{ offset: number; event?: string; data: unknown }>;
    };
    const published = history.publications;
    assert.equal(published[0]?.offset, 1);
    assert.ok(published.length >= 10, `the docs published ${published.length} times`);
    const last = published.at(-1)!.offset;
    const messages = published.map((p) => ({ channel: 'orders:42', offset: p.offset, epoch: history.epoch, ...(p.event === undefined ? {} : { event: p.event }), data: p.data }));

    await waitForOutput(ws, new RegExp(`"offset":${last},`), 30_000, 'stdout');
    const frames = logged(ws).map(([frame]) => frame as { type: string });
    assert.deepEqual(frames.filter((f) => f.type === 'message'), messages.map((m) => ({ type: 'message', ...m })));
    // README's words: "The subscriber receives `{…}`" — the first message frame, as shown.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shownFrame = JSON.parse(/The subscriber receives\s+`([^`]+)`/.exec(readme)![1]!) as Record<string, unknown>;
    assert.deepEqual(frames.find((f) => f.type === 'message'), { ...shownFrame, epoch: history.epoch });
    const reply = frames.find((f) => f.type === 'reply') as { id: number; ok?: boolean } | undefined;
    assert.deepEqual([reply?.id, reply?.ok], [1, true], `${where(wsBlock)}: the subscribe is answered`);

    const updated = messages.filter((m) => m.event === 'updated').map((m) => ({ type: 'message', ...m }));
    await waitForOutput(sse, new RegExp(`"offset":${updated.at(-1)!.offset},`), 30_000, 'stdout');
    assert.deepEqual(logged(sse).map(([m]) => m), updated, `${where(sseBlock)}: the EventSource logs every "updated" message`);

    await waitForOutput(cliSub, new RegExp(`"offset":${last},`), 30_000, 'stdout');
    assert.deepEqual(cliSub.stdout().trim().split('\n').map((l) => JSON.parse(l) as unknown), messages);
    await waitForOutput(sdkSub, new RegExp(`^\\[${last},`, 'm'), 30_000, 'stdout');
    assert.deepEqual(logged(sdkSub), messages.map((m) => [m.offset, m.data]));

    const items = page.locator('#log li');
    const deadline = Date.now() + 30_000;
    while ((await items.count()) < messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await items.allTextContents(), messages.map((m) => `${m.event ?? 'message'} #${m.offset}: ${JSON.stringify(m.data)}`));
    assert.equal(await page.title(), 'Live orders (connected)');

    // Ctrl-C (SIGINT to the foreground group, as a terminal sends it) ends `npx herald subscribe`.
    // Only its exit status is npm's (npx dies of the signal); `herald` itself exits 0 (cli.test.ts).
    stop(cliSub, 'SIGINT');
    const ended = await Promise.race([cliSub.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    assert.ok(ended, 'Ctrl-C ends `npx herald subscribe`');
    // `herald init` (docs/cli.md) wrote its file in the clone.
    assert.ok(existsSync(join(clone, 'herald.yaml')));

    // 4. README's layout names paths that exist.
    const layout = block('README.md', /^packages\/protocol\//m);
    let parent = '';
    for (const line of layout.text.split('\n')) {
      const [, indent = '', path = ''] = /^( *)(\S+)/.exec(line) ?? [];
      if (!/^[\w.-]+(\/[\w.-]+)*\/?$/.test(path) || indent.length > 2) continue;
      const full = indent.length === 0 ? path : `${parent}${path}`;
      if (indent.length === 0) parent = path;
      assert.ok(existsSync(join(ROOT, full)), `${where(layout)}: ${full} does not exist`);
    }
    ran.add(layout);

    // 5. Nothing drifts silently: every block ran, or says why it cannot.
    const marked = blocks.filter((b) => b.notRun);
    const missed = blocks.filter((b) => !b.notRun && !ran.has(b)).map(where);
    console.log(`docs: ${blocks.length} blocks in ${DOCS.join(', ')}: ${ran.size} run, ${marked.length} marked not-run (${marked.map((b) => `${where(b)}: ${b.notRun}`).join('; ')})`);
    assert.deepEqual(missed, [], 'blocks neither run nor marked <!-- not-run: reason -->');
    assert.deepEqual(marked.filter((b) => ran.has(b)).map(where), [], 'a marked block ran: drop its mark');
  });
});
