/**
 * @module generator
 * Entry point of the load-generator process (forked by the harness, pinned to its own core).
 * It owns every subscriber connection and, on a thread of its own (gen/publisher-thread.ts),
 * the publishers, and answers the harness's commands
 * over IPC one at a time.
 */
import { Subscriber } from './client/subscriber.js';
import { Recorder } from './gen/recorder.js';
import { runPhase, type PhaseContext } from './gen/phases.js';
import { PublisherThread } from './gen/publisher-thread.js';
import type { ConnectRequest, ConnectResult, GeneratorReply, GeneratorRequest } from './ipc.js';

if (!process.send) {
  console.error('generator.js is started by the benchmark harness (it needs an IPC channel)');
  process.exit(2);
}

const subscribers: Subscriber[] = [];
let ready = 0;
let closed = 0;
let firstCloseReason: string | undefined;
const recorder = new Recorder();
const ctx: PhaseContext = {
  recorder,
  slots: 0,
  readyCount: () => ready - closed,
  closedCount: () => closed,
  nextSeq: 1,
  publisher: new PublisherThread(),
};

/** Opens connections until `req.subscribers` exist in total (so RSS can be sampled in steps). */
function connectAll(req: ConnectRequest): Promise<ConnectResult> {
  const started = performance.now();
  let opened = subscribers.length;
  let failed = 0;
  let firstError: string | undefined;
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      resolve({
        cmd: 'connect',
        ready,
        failed,
        ms: Math.round(performance.now() - started),
        ...(firstError !== undefined ? { firstError } : {}),
      });
    };
    const timer = setTimeout(finish, req.timeoutMs);
    const settle = (): void => {
      if (ready + failed >= req.subscribers) finish();
      else if (opened < req.subscribers) open();
    };
    const open = (): void => {
      const index = opened++;
      ctx.slots = opened;
      subscribers[index] = new Subscriber(index, req.protocol, req.host, req.ports[index % req.ports.length]!, recorder, {
        ready: () => {
          ready++;
          settle();
        },
        failed: (_sub, reason) => {
          failed++;
          firstError ??= reason;
          settle();
        },
        closed: (_sub, reason) => {
          closed++;
          firstCloseReason ??= reason;
        },
      });
    };
    if (opened >= req.subscribers) return finish();
    const initial = Math.min(req.concurrency, req.subscribers - opened);
    for (let i = 0; i < initial; i++) open();
  });
}

function reply(msg: GeneratorReply): void {
  process.send!(msg);
}

process.on('message', (msg: GeneratorRequest) => {
  void (async () => {
    try {
      switch (msg.cmd) {
        case 'connect':
          reply(await connectAll(msg));
          break;
        case 'phase': {
          const result = await runPhase(ctx, msg);
          if (result.disconnected > 0 && firstCloseReason) console.error(`generator: first disconnect: ${firstCloseReason}`);
          reply(result);
          break;
        }
        case 'stop':
          for (const s of subscribers) s.close();
          void ctx.publisher.close();
          process.disconnect();
          setTimeout(() => process.exit(0), 100).unref();
          break;
      }
    } catch (err) {
      reply({ cmd: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});

// The harness dies → so do we; never leave 10 000 sockets behind.
process.on('disconnect', () => process.exit(0));
