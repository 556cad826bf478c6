/**
 * Child processes as a user runs them: a command whose output is collected, and a Herald node
 * (`herald serve`, `npm start`) that is ready once it logs "herald listening".
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function start(command: string, args: string[], options: SpawnOptions = {}): Running {
  // A process group of its own, so stop() also ends what npm or a shell started under it.
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs to the end (killed after timeoutMs) and returns its exit code and output. */
export async function run(command: string, args: string[], options: SpawnOptions = {}, timeoutMs = 30_000) {
  const p = start(command, args, options);
  const timer = setTimeout(() => stop(p, 'SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Waits until output matches; rejects with what was printed so far if it does not in time. */
export async function waitForOutput(p: Running, pattern: RegExp, timeoutMs: number, stream: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = stream === 'stdout' ? p.stdout() : stream === 'stderr' ? p.stderr() : `${p.stdout()}\n${p.stderr()}`;
    const m = pattern.exec(text);
    if (m) return m;
    if (p.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no output matching ${pattern} (exit ${p.child.exitCode}); stdout: ${p.stdout().slice(-3000)}\nstderr: ${p.stderr().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The port from a node's "herald listening" log line. */
export async function listeningPort(p: Running, timeoutMs: number): Promise<number> {
  const m = await waitForOutput(p, /"port":(\d+)[^\n]*"msg":"herald listening"/, timeoutMs, 'stdout');
  return Number(m[1]);
}

export function stop(p: Running, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // already gone
  }
}

/** The environment of a user's shell: ours, less what npm sets for the script running the tests. */
export function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'INIT_CWD'));
  return { ...env, ...extra };
}

/** A port free right now, for a process that takes its port from PORT. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
