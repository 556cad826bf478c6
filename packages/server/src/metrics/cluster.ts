/**
 * @module metrics/cluster
 * `GET /metrics` of `herald serve` with several workers: whichever worker a scrape reaches
 * answers for all of them (otherwise each scrape would show a different worker's counters). The
 * worker asks the primary, which gathers every worker's registry with prom-client's
 * AggregatorRegistry: counters, histograms and connection gauges are summed.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'herald:metrics-req';
const RESPONSE = 'herald:metrics-res';
/** Longer than prom-client's own 5 s wait for the workers. */
const TIMEOUT_MS = 6_000;

type Request = { type: typeof REQUEST; id: number };
type Response = { type: typeof RESPONSE; id: number; text?: string; error?: string };

/** Primary side: answer each worker's request with every worker's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Request) => {
    if (message?.type !== REQUEST) return;
    // A worker that exited meanwhile: the write fails (EPIPE) into the callback, not the primary.
    const answer = (reply: Omit<Response, 'type' | 'id'>) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, ...reply } satisfies Response, () => {});
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** Worker side: offers `registry` to the primary's gathering, and returns how to read the whole cluster's metrics. */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  // Constructing one is what makes prom-client answer the primary's requests in this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (message: Response) => {
    if (message?.type !== RESPONSE) return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    clearTimeout(w.timer);
    if (message.text !== undefined) w.resolve(message.text);
    else w.reject(new Error(`metrics of the other workers unavailable: ${message.error}`));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('metrics of the other workers unavailable: the primary did not answer'));
      }, TIMEOUT_MS).unref();
      waiting.set(id, { resolve, reject, timer });
      process.send!({ type: REQUEST, id } satisfies Request, undefined, undefined, (err: Error | null) => {
        if (!err || !waiting.delete(id)) return;
        clearTimeout(timer);
        reject(new Error('metrics of the other workers unavailable: the primary is gone'));
      });
    });
}
