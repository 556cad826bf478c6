/**
 * @module processes
 * The harness's own child processes (servers, generator): started pinned to a core with taskset,
 * stopped with a grace period, and killed if the harness is interrupted. Also pins a process the
 * harness did not start (the shared Redis) for the length of a run, and puts it back after.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

let tasksetChecked: boolean | undefined;
function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** Children still running, so an interrupted run can clean up after itself. */
const live = new Set<ChildProcess>();
/** Affinity changes to undo, likewise. */
const restores = new Set<() => void>();
process.once('SIGINT', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const r of restores) r();
  process.exit(130);
});

/** Start node with `args`, optionally pinned; taskset execs node, so the pid is node's. */
export function spawnNode(args: string[], core: string | null, extra: Parameters<typeof spawn>[2]): ChildProcess {
  const child = core !== null && hasTaskset() ? spawn('taskset', ['-c', core, process.execPath, ...args], extra) : spawn(process.execPath, args, extra);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Ask a child to stop (SIGTERM unless `ask` says how) and wait; it is killed if it takes over 5 s. */
export async function stopProcess(child: ChildProcess, ask: () => void = () => child.kill('SIGTERM')): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  ask();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Pins every thread of a running process we did not start to `core`, and returns what puts its
 * previous affinity back (also done on Ctrl-C): the process is shared with other users of the box.
 */
export function pinRunning(pid: number, core: string): () => void {
  const before = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
  if (!before || !hasTaskset()) return () => {};
  execFileSync('taskset', ['-a', '-pc', core, String(pid)], { stdio: 'ignore' });
  const restore = (): void => {
    restores.delete(restore);
    try {
      execFileSync('taskset', ['-a', '-pc', before, String(pid)], { stdio: 'ignore' });
    } catch {
      // The process is gone; nothing to restore.
    }
  };
  restores.add(restore);
  return restore;
}
