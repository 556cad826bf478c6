/**
 * Smoke test of the whole harness: real server process, real generator process, real HTTP
 * publishes, 50 subscribers, both phases for ~2 s. It checks the measurement machinery (no
 * deliveries lost or duplicated, some delivered) rather than any performance figure. Herald is
 * measured over WebSocket, over SSE and over the Pusher protocol, as two nodes sharing Redis, and as a cluster of two
 * workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULTS, runOne, type BenchOptions, type RunResult } from './harness.js';
import { HERALD_BIN, type ServerName } from './targets.js';

const quick: BenchOptions = {
  ...DEFAULTS,
  durationS: 2,
  latencyDurationS: 2,
  warmupS: 0,
  settleMs: 200,
  // Test runners may run suites in parallel; pinning would only add contention there.
  pin: false,
  retries: 0,
  log: () => {},
};

async function smoke(server: ServerName, seconds: number): Promise<RunResult> {
  const r = await runOne(server, 50, { ...quick, durationS: seconds, latencyDurationS: seconds });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.connect?.ready, 50);
  for (const phase of [r.latency, r.peak]) {
    assert.ok(phase, 'phase result missing');
    assert.ok(phase.published > 0, `${phase.kind}: nothing was published`);
    assert.equal(phase.publishFailed, 0, `${phase.kind}: ${phase.publishFailed} publishes failed (${phase.publishFailStatus})`);
    assert.ok(phase.received > 0, `${phase.kind}: nothing was delivered`);
    assert.equal(phase.expected, phase.published * 50);
    assert.equal(phase.lost, 0, `${phase.kind}: ${phase.lost} deliveries lost`);
    assert.equal(phase.duplicates, 0, `${phase.kind}: ${phase.duplicates} duplicate deliveries`);
    assert.equal(phase.malformed, 0, `${phase.kind}: ${phase.malformed} unparseable deliveries`);
    assert.ok(phase.latency.p50 > 0 && phase.latency.p50 <= phase.latency.p99);
  }
  return r;
}

/** Each of `roles` (nodes or workers) holds a share of the 50 subscribers' sockets. */
function assertSplit(r: RunResult, roles: string[]): void {
  for (const role of roles) {
    const sockets = r.sockets?.[r.serverProcs?.indexOf(role) ?? -1];
    assert.ok(sockets !== undefined && sockets >= 10, `${role}: ${sockets} sockets (processes: ${r.serverProcs?.join(', ')})`);
  }
}

test('harness measures Herald with 50 subscribers: no loss, deliveries counted', { timeout: 30_000 }, async () => {
  assert.ok(existsSync(HERALD_BIN), `Herald is not built: ${HERALD_BIN} (run npm run build)`);
  await smoke('herald', 2);
});

test('harness measures Herald over SSE the same way', { timeout: 30_000 }, async () => {
  assert.ok(existsSync(HERALD_BIN), `Herald is not built: ${HERALD_BIN} (run npm run build)`);
  await smoke('herald-sse', 1);
});

test('harness measures Herald over the Pusher protocol the same way', { timeout: 30_000 }, async () => {
  assert.ok(existsSync(HERALD_BIN), `Herald is not built: ${HERALD_BIN} (run npm run build)`);
  await smoke('herald-pusher', 1);
});

test('harness measures the naive ws baseline the same way', { timeout: 30_000 }, async () => {
  await smoke('naive', 1);
});

test('harness measures two Herald nodes sharing Redis, and removes their keys', { timeout: 30_000 }, async () => {
  const r = await smoke('herald-redis-2n', 1);
  assertSplit(r, ['node 1', 'node 2']);
  assert.equal(r.serverProcs?.at(-1), 'redis', 'the Redis process was not found, so its CPU is not counted');
  assert.equal(r.peak?.cpu.serverParts?.length, 3);
  const left = execFileSync('redis-cli', ['--scan', '--pattern', `bench-${process.pid}-*`], { encoding: 'utf8' }).trim();
  assert.equal(left, '', 'Redis keys of the run were left behind');
});

test('harness measures Herald with --workers 2', { timeout: 30_000 }, async () => {
  const r = await smoke('herald-workers-2', 1);
  assertSplit(r, ['worker 1', 'worker 2']);
  // Every worker's inspector was found in the primary's output, so GC could be forced in each.
  assert.ok(Number.isFinite(r.rss?.perConnectionGcBytes), 'RSS after GC is missing');
});

test('harness runs the steady phase: every delivery, windows, and the server heap and GC sampled through its inspector', { timeout: 30_000 }, async () => {
  assert.ok(existsSync(HERALD_BIN), `Herald is not built: ${HERALD_BIN} (run npm run build)`);
  const r = await runOne('herald', 50, { ...quick, phases: ['steady'], steadyRate: 20, steadyDurationS: 3, steadyWindowS: 1, sampleMs: 100 });
  assert.equal(r.error, undefined, r.error);
  const s = r.steady;
  assert.ok(s?.steady, 'steady detail missing');
  assert.equal(s.published, 60);
  assert.equal(s.lost, 0);
  assert.equal(s.duplicates, 0);
  assert.equal(s.steady.windows.length, 3);
  assert.equal(s.steady.windows.reduce((a, w) => a + w.count, 0), s.received, 'every delivery falls in one window');
  assert.equal(s.steady.post.count, 60, 'every publish POST timed');
  const srv = r.steadyServer;
  assert.ok(srv && srv.samples >= 10, `server sampled ${srv?.samples} times`);
  assert.ok(srv.heapUsedBytes.min > 0 && srv.heapUsedBytes.max >= srv.heapUsedBytes.min);
  assert.ok(srv.rssBytes.min > srv.heapUsedBytes.min);
  assert.equal(srv.windows.length, 3);
});
