/**
 * @module churn
 * Connection churn: N connect → subscribe → close cycles, C at a time, against `herald serve`
 * (memory engine; one process, or a primary and its workers with --workers) on loopback. Reports
 * the server's RSS (all its processes) at idle, its peak while the cycles run (sampled every
 * 100 ms), and its RSS after a quiet minute. Each cycle subscribes to a channel of its own
 * (`--channels shared`: one of C), so per-channel state is made and dropped as well. The server is pinned to core 0 and this generator
 * to core 1 (taskset), as in the fan-out benchmark. Bounded: the cycle count, and a deadline.
 *
 *   npm run bench:churn -- [--cycles 100000] [--concurrency 200] [--after 60]
 *     [--channels unique|shared] [--workers 1] [--node-args=--trace-gc]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freePort } from './harness.js';
import { childPids, rssBytes } from './proc.js';
import { spawnNode, stopProcess } from './processes.js';
import { HERALD_BIN } from './targets.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '200' },
    after: { type: 'string', default: '60' },
    channels: { type: 'string', default: 'unique' },
    'node-args': { type: 'string', default: '' },
    'deadline-s': { type: 'string', default: '1800' },
    workers: { type: 'string', default: '1' },
  },
});
const CYCLES = Number(values.cycles);
const CONCURRENCY = Number(values.concurrency);
const AFTER_S = Number(values.after);
const DEADLINE = performance.now() + Number(values['deadline-s']) * 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

/** One cycle: open, wait for `connected`, subscribe, wait for the reply, close, wait for the close. */
function cycle(url: string, channel: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`cycle on ${channel} timed out`));
    }, 30_000);
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: number; ok?: boolean; error?: unknown };
      if (frame.type === 'connected') ws.send(JSON.stringify({ id: 1, type: 'subscribe', channel }));
      else if (frame.type === 'reply' && frame.id === 1) {
        if (!frame.ok) reject(new Error(`subscribe refused: ${JSON.stringify(frame.error)}`));
        ws.close();
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  try {
    execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  } catch {
    console.warn('taskset not available: server and generator are not pinned');
  }
  const port = await freePort();
  const nodeArgs = values['node-args'].split(' ').filter(Boolean);
  const server = spawnNode(
    [...nodeArgs, HERALD_BIN, 'serve', '--workers', values.workers, '--port', String(port), '--set', 'log.level=warn', '--set', `limits.max_connections=${CONCURRENCY * 2 + 100}`],
    '0',
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const pid = server.pid!;
  /** The server's RSS: with --workers above 1, the primary's and every worker's together. */
  const serverRss = (): number => [pid, ...childPids(pid)].reduce((sum, p) => sum + rssBytes(p), 0);
  const url = `ws://127.0.0.1:${port}/ws`;
  try {
    for (let ready = false; !ready; await sleep(100)) {
      if (server.exitCode !== null) throw new Error('server exited before it was ready');
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    }
    // Warm up (JIT, first allocations), then let it settle: the idle baseline is a ready, used server.
    await Promise.all(Array.from({ length: 20 }, (_, i) => cycle(url, `warmup-${i}`)));
    await sleep(5000);
    const idle = serverRss();
    console.log(`idle RSS ${mb(idle)} (pid ${pid}); ${CYCLES} cycles, ${CONCURRENCY} at a time, channels ${values.channels}`);

    let peak = idle;
    let peakAt = 0;
    let started = 0;
    let done = 0;
    const sampler = setInterval(() => {
      const rss = serverRss();
      if (rss > peak) [peak, peakAt] = [rss, done];
    }, 100);
    const progress = setInterval(() => console.log(`  ${done} cycles, RSS ${mb(serverRss())}, peak ${mb(peak)}`), 10_000);
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (started < CYCLES) {
        if (performance.now() > DEADLINE) throw new Error('deadline passed');
        const n = started++;
        await cycle(url, values.channels === 'shared' ? `churn-${n % CONCURRENCY}` : `churn-${n}`);
        done++;
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const seconds = (performance.now() - t0) / 1000;
    const end = serverRss();
    console.log(`${done} cycles in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s); peak RSS ${mb(peak)} at cycle ${peakAt} (${(peak / idle).toFixed(2)}× idle); at the end ${mb(end)}`);
    const after: number[] = [];
    for (let s = 1; s <= AFTER_S; s++) {
      await sleep(1000);
      after.push(serverRss());
    }
    const last = after.at(-1) ?? end;
    console.log(`RSS ${AFTER_S} s after: ${mb(last)} (${(last / idle).toFixed(2)}× idle); every 10 s: ${after.filter((_, i) => i % 10 === 9).map(mb).join(', ')}`);
    console.log(JSON.stringify({ cycles: done, concurrency: CONCURRENCY, seconds: Math.round(seconds), idleMB: idle / 1048576, peakMB: peak / 1048576, endMB: end / 1048576, afterMB: last / 1048576 }));
  } finally {
    await stopProcess(server);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
