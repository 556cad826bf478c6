/**
 * @module broker/monitor
 * Watches the engine for the node: whether it is ready (for `/readyz`), and a heartbeat that each
 * node sends itself through the engine's pub/sub. A TCP connection can look alive while nothing
 * comes through it any more (a NAT or proxy dropped the flow, a server paused); only a message
 * that makes the whole trip proves delivery works. When heartbeats stop coming back, the node
 * reports not ready and asks the engine to re-create every subscription.
 *
 * Written once for every engine: engines only send a token through their pub/sub and rebuild
 * their subscriptions when asked.
 */
import type { Logger } from 'pino';
import type { Broker, BrokerHandler } from './broker.js';

/** Heartbeats that may go missing before the pub/sub counts as stalled. */
export const MISSED_HEARTBEATS = 3;

export interface EngineStatus {
  ready: boolean;
  /** Why it is not ready. */
  reason?: string;
}

export interface BrokerMonitorOptions {
  heartbeatIntervalMs: number;
  log: Pick<Logger, 'warn' | 'info' | 'error'>;
}

export class BrokerMonitor {
  readonly #broker: Broker;
  readonly #hub: Pick<BrokerHandler, 'onPublication' | 'onResubscribed' | 'onEvent'>;
  readonly #options: BrokerMonitorOptions;
  /** When the silence being measured started: the last heartbeat back, or the last reconnect. */
  #since = Date.now();
  #stalled = false;
  #healing = false;
  #sent = 0;
  #wasReady = true;
  #timer: NodeJS.Timeout | undefined;

  constructor(broker: Broker, hub: Pick<BrokerHandler, 'onPublication' | 'onResubscribed' | 'onEvent'>, options: BrokerMonitorOptions) {
    this.#broker = broker;
    this.#hub = hub;
    this.#options = options;
  }

  async start(): Promise<void> {
    const hub = this.#hub;
    await this.#broker.start({
      onPublication: (p) => hub.onPublication(p),
      onEvent: (e) => hub.onEvent(e),
      onResubscribed: () => hub.onResubscribed(),
      onHeartbeat: () => {
        this.#since = Date.now();
        this.#stalled = false;
      },
    });
    this.#since = Date.now();
    this.#timer = setInterval(() => this.#tick(), this.#options.heartbeatIntervalMs).unref();
  }

  status(): EngineStatus {
    if (!this.#broker.connected) return { ready: false, reason: `the ${this.#broker.name} engine is disconnected; reconnecting` };
    if (this.#stalled) return { ready: false, reason: `no heartbeat came back through the ${this.#broker.name} engine; resubscribing` };
    return { ready: true };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    if (!this.#broker.connected) {
      // The engine reconnects by itself; silence is measured from when it is back.
      this.#since = now;
    } else if (now - this.#since > MISSED_HEARTBEATS * this.#options.heartbeatIntervalMs) {
      this.#stalled = true;
      this.#heal();
    }
    this.#report();
    if (this.#broker.connected) void this.#broker.heartbeat(String(++this.#sent)).catch(() => {}); // a failure shows as silence
  }

  #heal(): void {
    if (this.#healing) return;
    this.#healing = true;
    this.#options.log.warn({ engine: this.#broker.name }, 'engine pub/sub stopped delivering heartbeats: re-creating every subscription');
    this.#broker
      .resubscribe()
      .catch((err: unknown) => this.#options.log.error({ err, engine: this.#broker.name }, 'resubscribe failed; will retry'))
      .finally(() => {
        this.#healing = false;
        this.#since = Date.now();
      });
  }

  /** Log transitions only, so an outage is two lines in the log, not one per tick. */
  #report(): void {
    const status = this.status();
    if (status.ready === this.#wasReady) return;
    this.#wasReady = status.ready;
    if (status.ready) this.#options.log.info({ engine: this.#broker.name }, 'engine is back: ready');
    else this.#options.log.warn({ engine: this.#broker.name }, `not ready: ${status.reason}`);
  }
}
