/**
 * What the feature docs' tests need around their blocks: a node started by a doc's own command
 * line on a free port, its dev secret, and a recording relay between Herald and a hook backend.
 */
import { createHmac } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { start, stop, type Running } from './spawn.js';

export interface DocNode {
  process: Running;
  port: number;
  base: string;
  /** The dev secret the node printed, when it runs without publisher credentials. */
  secret: string;
}

/**
 * Runs a doc's `… npx herald serve …` line in bash, with PORT (what `herald serve` listens on
 * unless a `--port` says otherwise) set to `port`, until /readyz answers 200.
 */
export async function serve(command: string, port: number, cwd: string, env: NodeJS.ProcessEnv): Promise<DocNode> {
  const process = start('bash', ['-c', command], { cwd, env: { ...env, PORT: String(port) } });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (process.child.exitCode !== null || Date.now() > deadline) {
      stop(process, 'SIGKILL');
      throw new Error(`\`${command}\` did not get ready (exit ${process.child.exitCode}):\n${process.stdout().slice(-2000)}\n${process.stderr().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const secret = /^\s+(hrld_dev_\S+)$/m.exec(process.stderr())?.[1] ?? '';
  return { process, port, base, secret };
}

export async function shutdown(node: DocNode | undefined): Promise<void> {
  if (!node) return;
  stop(node.process);
  const exited = await Promise.race([node.process.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
  if (!exited) stop(node.process, 'SIGKILL');
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The promise's value, or a failure naming what did not happen within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HookCall {
  path: string;
  body: Record<string, unknown>;
}

/**
 * Sits where Herald's hook URLs point: records every call, then relays it to the doc's backend
 * at `backend`, or answers it itself with `answer(call)` (signed with `secret`, as the backend
 * must answer with `hooks.verify_responses`) when that gives text.
 */
export class HookRelay {
  readonly calls: HookCall[] = [];
  answer: (call: HookCall) => string | undefined = () => undefined;
  #server: Server;

  constructor(
    readonly backend: number,
    readonly secret: string,
  ) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const call = { path: req.url ?? '', body: JSON.parse(raw.toString()) as Record<string, unknown> };
        this.calls.push(call);
        const own = this.answer(call);
        if (own !== undefined) {
          const id = /id=([^,]+)/.exec(String(req.headers['x-herald-hook-signature']))?.[1] ?? '';
          const t = Math.floor(Date.now() / 1000);
          const mac = createHmac('sha256', this.secret).update(`${t}.${id}.${own}`).digest('hex');
          res.writeHead(200, { 'content-type': 'application/json', 'x-herald-hook-signature': `t=${t},id=${id},v1=${mac}` }).end(own);
          return;
        }
        const relayed = request({ host: '127.0.0.1', port: this.backend, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        relayed.on('error', () => res.writeHead(502).end());
        relayed.end(raw);
      });
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The calls made to one hook (its URL path ends with the hook's name). */
  of(hook: string): HookCall[] {
    return this.calls.filter((c) => c.path.endsWith(`/${hook}`));
  }
}
