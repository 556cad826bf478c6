/**
 * @module provenance
 * What a result file records about where it was measured: the machine, and which Herald revision.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { REPO_ROOT } from './targets.js';

export function machine(): Record<string, string | number> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    cpus: cpus().length,
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cpuMHz: Number(/^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.speed ?? 0),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

/** Which Herald was measured: the commit, and whether packages/server had uncommitted changes. */
export function heraldRevision(): string {
  // A snapshot build (BENCH_HERALD_BIN) says which revision it was taken from.
  if (process.env.BENCH_HERALD_REVISION) return process.env.BENCH_HERALD_REVISION;
  try {
    const git = (args: string[]): string => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();
    const dirty = git(['status', '--porcelain', '--', 'packages/server', 'packages/protocol']) !== '';
    return `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}
