/**
 * @module proc
 * Reads process CPU time, resident memory and per-core busy time from /proc. Sampling from
 * outside is the only way to measure the three servers identically (we cannot instrument
 * Socket.IO or Herald), and it also covers the generator without its own bookkeeping.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Linux USER_HZ; 100 on every mainstream kernel (getconf CLK_TCK). */
const CLK_TCK = 100;

/** utime + stime of one process, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name is in parentheses and may contain spaces; fields are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 (index 0 here), utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Pid of the first process whose command line (arguments joined by spaces) matches, or undefined. */
export function findPid(commandLine: RegExp): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (commandLine.test(readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' '))) return Number(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}

/** Direct child processes (a cluster primary's workers). */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
}

/** Open sockets of a process: its connections plus a few listening and IPC ones. */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // Closed while we looked.
    }
  }
  return n;
}

/** VmRSS of a process in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export interface CoreTimes {
  busy: number;
  /** irq + softirq: on loopback, TCP delivery work that is charged to the core, not to a process. */
  irq: number;
  total: number;
}

/** Busy and total jiffies per core (busy = everything but idle and iowait). */
export function coreTimes(): CoreTimes[] {
  const out: CoreTimes[] = [];
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest fields are already in user)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    out[Number(m[1])] = { busy: total - idle, irq: (v[5] ?? 0) + (v[6] ?? 0), total };
  }
  return out;
}

/** System-mode CPU seconds of one process: on loopback this is mostly the TCP send/receive path. */
export function processSysSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / CLK_TCK;
}

/**
 * Read- and write-type syscalls a process has made (/proc/<pid>/io syscr/syscw). Divided by
 * deliveries this shows whether a server coalesces frames into fewer writes.
 */
export function syscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    return { reads: Number(/^syscr:\s+(\d+)/m.exec(io)?.[1] ?? NaN), writes: Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? NaN) };
  } catch {
    return { reads: NaN, writes: NaN }; // /proc/<pid>/io needs ptrace rights over the pid
  }
}

export interface CpuSample {
  at: number;
  /** CPU seconds per watched pid, same order as given. */
  procs: number[];
  sys: number[];
  io: Array<{ reads: number; writes: number }>;
  cores: CoreTimes[];
}

export function sampleCpu(pids: number[]): CpuSample {
  return {
    at: performance.now(),
    procs: pids.map(processCpuSeconds),
    sys: pids.map(processSysSeconds),
    io: pids.map(syscalls),
    cores: coreTimes(),
  };
}

export interface CpuUsage {
  seconds: number;
  /** Percent of one core per watched pid. */
  procs: number[];
  /** Of which system mode (kernel), percent of one core. */
  sys: number[];
  /** Read/write syscalls per watched pid over the window. */
  syscalls: Array<{ reads: number; writes: number }>;
  /** Percent busy per core, from /proc/stat (includes softirq work the kernel does for us). */
  cores: number[];
  /** Of which irq + softirq, percent per core. */
  coresIrq: number[];
  /**
   * When the server side is several processes (nodes, a cluster's primary and workers, Redis):
   * each one's percent of a core; `procs[0]`, `sys[0]` and `syscalls[0]` are then their sums.
   */
  serverParts?: number[];
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuUsage {
  const seconds = (b.at - a.at) / 1000;
  const pct = (x: number): number => Math.round(x * 1000) / 10;
  return {
    seconds: Math.round(seconds * 100) / 100,
    procs: b.procs.map((v, i) => pct((v - a.procs[i]!) / seconds)),
    sys: b.sys.map((v, i) => pct((v - a.sys[i]!) / seconds)),
    syscalls: b.io.map((v, i) => ({ reads: v.reads - a.io[i]!.reads, writes: v.writes - a.io[i]!.writes })),
    cores: b.cores.map((c, i) => {
      const p = a.cores[i];
      const dt = p ? c.total - p.total : 0;
      return dt > 0 ? pct((c.busy - p!.busy) / dt) : NaN;
    }),
    coresIrq: b.cores.map((c, i) => {
      const p = a.cores[i];
      const dt = p ? c.total - p.total : 0;
      return dt > 0 ? pct((c.irq - p!.irq) / dt) : NaN;
    }),
  };
}

/**
 * Usage of `[...serverPids, generator]` folded to `[server side, generator]`: the server side is
 * every process the target runs, so that `procs[0]` compares with a one-process server.
 */
export function foldServerSide(u: CpuUsage, serverCount: number): CpuUsage {
  const sum = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) * 10) / 10;
  const server = u.syscalls.slice(0, serverCount);
  return {
    ...u,
    procs: [sum(u.procs.slice(0, serverCount)), ...u.procs.slice(serverCount)],
    sys: [sum(u.sys.slice(0, serverCount)), ...u.sys.slice(serverCount)],
    syscalls: [{ reads: sum(server.map((s) => s.reads)), writes: sum(server.map((s) => s.writes)) }, ...u.syscalls.slice(serverCount)],
    ...(serverCount > 1 ? { serverParts: u.procs.slice(0, serverCount) } : {}),
  };
}
