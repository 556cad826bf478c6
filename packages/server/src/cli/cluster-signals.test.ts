/**
 * Signals while `herald serve` starts: SIGTERM stops every process and the node exits 0, with and
 * without workers, whichever of them is still loading.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { childEnv } from '../test/helpers.js';

const BIN = fileURLToPath(new URL('../bin/herald.js', import.meta.url));

/** Start `herald serve`, wait until its output (stdout and stderr) satisfies `at`, and return what it printed. */
async function startUntil(child: ChildProcessWithoutNullStreams, at: (output: string) => boolean): Promise<() => string> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`startup did not reach the point: ${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (at(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  return () => output;
}

/** The workers of a cluster primary (Linux: its direct children). */
const childrenOf = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM once `at` holds; the primary must exit 0 within 30 s and leave no worker behind. */
async function sigtermDuringStartup(nodeArgs: string[], workers: string, at: (output: string, pid: number) => boolean): Promise<string> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--workers', workers, '--port', '0'], { env: childEnv() });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let forked: number[] = [];
  try {
    const output = await startUntil(child, (out) => at(out, child.pid!));
    forked = childrenOf(child.pid!);
    child.kill('SIGTERM');
    const result = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    assert.equal(result, 0, `--workers ${workers}: ${output()}`);
    // A worker the primary left would be reparented and keep its port: none may outlive it.
    const deadline = Date.now() + 5000;
    while (forked.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(forked.filter(alive), [], `--workers ${workers}: workers still running after the primary exited`);
    return output();
  } finally {
    child.kill('SIGKILL');
    for (const pid of forked.filter(alive)) process.kill(pid, 'SIGKILL');
  }
}

/** A log line written by another process than `pid`: a worker has loaded and is starting its node. */
const workerLogged = (output: string, pid: number) => [...output.matchAll(/"pid":(\d+)/g)].some((m) => Number(m[1]) !== pid);

// Test instrumentation only: a line on stderr when the process first listens for SIGTERM.
const SAYS_WHEN_SIGTERM_HANDLED = `--import=data:text/javascript,process.on('newListener',(e)=>{if(e==='SIGTERM')process.stderr.write('[SIGTERM handled]\\n')})`;

describe('SIGTERM during startup', { skip: !existsSync('/proc/self/task') && 'needs /proc' }, () => {
  for (const workers of ['1', '2']) {
    it(`--workers ${workers}, while it loads its modules: exits 0 before it builds anything`, async () => {
      const output = await sigtermDuringStartup([SAYS_WHEN_SIGTERM_HANDLED], workers, (out) => out.includes('[SIGTERM handled]'));
      assert.doesNotMatch(output, /"level"/, 'a node was built');
    });
  }

  it('one process: stops once it is up, and exits 0', async () => {
    // The first log line is written while the node is being built, before it listens.
    const output = await sigtermDuringStartup([], '1', (out) => out.includes('"level"'));
    assert.match(output, /"msg":"herald stopped"/);
  });

  it('two workers, one starting and the other still loading: every worker stops, the primary exits 0', async () => {
    await sigtermDuringStartup([], '2', workerLogged);
  });

  it('two workers, the first listening: the other stops too, the primary exits 0', async () => {
    await sigtermDuringStartup([], '2', (out) => out.includes('"msg":"herald listening"'));
  });

  it('the inspector on any port (--inspect=127.0.0.1:0) gives every worker one of its own', async () => {
    // Node would give worker n the primary's port + n, often held by a client socket.
    const inspectors = (out: string) => out.match(/Debugger listening on ws:/g)?.length ?? 0;
    const output = await sigtermDuringStartup(['--inspect=127.0.0.1:0'], '2', (out) => inspectors(out) === 3 || out.includes('Starting inspector'));
    assert.doesNotMatch(output, /Starting inspector on \S+ failed/);
    assert.equal(inspectors(output), 3, output);
  });
});

describe('primary killed', { skip: !existsSync('/proc/self/task') && 'needs /proc' }, () => {
  it('SIGKILL of the primary: a worker closes its WebSocket clients with 1012 (reconnect) and exits', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', '0'], { env: childEnv() });
    let forked: number[] = [];
    try {
      const output = await startUntil(child, (out) => (out.match(/"msg":"herald listening"/g)?.length ?? 0) === 2);
      const port = Number(/"port":(\d+)/.exec(output())![1]);
      forked = childrenOf(child.pid!);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      child.kill('SIGKILL');
      const code = await Promise.race([closed, new Promise<'none'>((resolve) => setTimeout(() => resolve('none'), 15_000))]);
      assert.equal(code, 1012, output());
      const deadline = Date.now() + 15_000;
      while (forked.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(forked.filter(alive), [], 'workers still running after their primary was killed');
    } finally {
      child.kill('SIGKILL');
      for (const pid of forked.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });
});
