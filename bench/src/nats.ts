/**
 * @module nats
 * The NATS server that the NATS-engine runs share with the rest of the box, as redis.ts does for
 * Redis: finding its process, so its CPU counts as server side, and deleting the streams and
 * buckets a run created (all named after the run's own prefix).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { findPid } from './proc.js';

/** BENCH_NATS_URL points the NATS runs elsewhere. */
export const NATS_URL = process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222';

/** Pid of the local nats-server listening on the URL's port (`-p <port>` on its command line), or undefined. */
export function natsPid(): number | undefined {
  const { hostname, port } = new URL(NATS_URL);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') return undefined;
  return findPid(new RegExp(`^\\S*nats-server .*(-p|--port)[ =]${port || '4222'}(\\s|$)`));
}

/** Deletes every JetStream stream (key-value buckets are streams too) whose name contains `prefix`. */
export async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.includes(prefix)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
