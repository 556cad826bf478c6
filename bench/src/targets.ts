/**
 * @module targets
 * How to start each server under test and how to publish to it. Herald is started from its
 * built CLI exactly as a user would, with a generated config file.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Protocol } from './client/subscriber.js';
import type { PublishTarget } from './gen/publisher.js';

export type ServerName = Protocol;
export const SERVER_NAMES: ServerName[] = ['herald', 'herald-sse', 'naive', 'socketio'];
/** What `npm run bench` measures without --servers (the WebSocket comparison). */
export const DEFAULT_SERVERS: ServerName[] = ['herald', 'naive', 'socketio'];
/** Targets that start Herald's CLI: its WebSocket and its SSE endpoint, same config. */
export const isHerald = (name: ServerName): boolean => name === 'herald' || name === 'herald-sse';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Repository root, from bench/dist/. */
export const REPO_ROOT = resolve(here, '..', '..');
/**
 * Herald's CLI; BENCH_HERALD_BIN points at another build, e.g. a
 * snapshot taken so that rebuilds during a long run cannot change what is measured.
 */
export const HERALD_BIN = process.env.BENCH_HERALD_BIN || join(REPO_ROOT, 'packages', 'server', 'dist', 'bin', 'herald.js');

/** Herald refuses API keys shorter than 16 characters. */
export const HERALD_API_KEY = 'benchkey-0123456789abcdef';

export interface LaunchSpec {
  /** Node script and its arguments. */
  args: string[];
  publish: PublishTarget;
  /** Removes anything the launch created (Herald's temporary config file). */
  cleanup(): void;
}

export function launchSpec(name: ServerName, host: string, port: number, subscribers: number): LaunchSpec {
  switch (name) {
    // The same server, started the same way; only the generator's subscribers differ
    // (WebSocket `/ws` + subscribe, or `GET /sse?channel=bench`).
    case 'herald':
    case 'herald-sse': {
      const config = join(tmpdir(), `herald-bench-${process.pid}-${port}.yaml`);
      writeFileSync(
        config,
        [
          `server: { host: ${host}, port: ${port} }`,
          `auth: { api_keys: [${HERALD_API_KEY}] }`,
          // Headroom over the subscriber count; the default (10 000) would refuse the harness's
          // 10 000th connection if any other socket is counted.
          `limits: { max_connections: ${Math.max(20_000, subscribers + 100)} }`,
          `log: { level: warn }`,
          '',
        ].join('\n'),
      );
      return {
        args: [HERALD_BIN, 'serve', '--config', config],
        publish: { host, port, path: '/api/publish', headers: { authorization: `Bearer ${HERALD_API_KEY}` } },
        cleanup: () => rmSync(config, { force: true }),
      };
    }
    case 'naive':
      return {
        args: [join(here, 'servers', 'naive-ws.js'), '--host', host, '--port', String(port)],
        publish: { host, port, path: '/publish', headers: {} },
        cleanup: () => {},
      };
    case 'socketio':
      return {
        args: [join(here, 'servers', 'socketio.js'), '--host', host, '--port', String(port)],
        publish: { host, port, path: '/publish', headers: {} },
        cleanup: () => {},
      };
  }
}
