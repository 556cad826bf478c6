/**
 * @module control/cluster
 * Asks every node sharing the engine to run a command and gathers their answers, over the
 * engine's control bus (broker/control.ts). Nodes say hello on the bus every second, so each one
 * knows its live peers; a command waits for the answer of every peer it knows, or
 * GATHER_TIMEOUT_MS, whichever comes first, and reports how many nodes answered.
 *
 * Bus messages are JSON: `{t:"hello",node,ask?}`, `{t:"bye",node}` (a node stopping: nobody waits
 * for it), `{t:"cmd",id,from,cmd}`, `{t:"ans",id,to,node,result}`.
 * A message that does not parse is ignored: nothing on the bus can crash a node.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ControlBus } from '../broker/control.js';

/** How often a node says it is alive, and how long after its last hello it is taken for gone. */
const HELLO_INTERVAL_MS = 1_000;
const PEER_TTL_MS = 3_500;
/** The longest a command waits for the nodes it knows (the control API promises action within a second). */
export const GATHER_TIMEOUT_MS = 1_000;

type BusMessage =
  | { t: 'hello'; node: string; ask?: boolean }
  | { t: 'bye'; node: string }
  | { t: 'cmd'; id: string; from: string; cmd: unknown }
  | { t: 'ans'; id: string; to: string; node: string; result: unknown };

export interface Answer<R> {
  /** The answering node's name (server.node_name). */
  node: string;
  result: R;
}

interface Gathering {
  expected: Set<string>;
  answers: Map<string, Answer<unknown>>;
  done(): void;
}

export class ClusterCommands {
  /** This node on the bus: its name plus a random part, as two workers may share a name. */
  readonly #self: string;
  readonly #peers = new Map<string, number>();
  readonly #gatherings = new Map<string, Gathering>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly bus: ControlBus,
    readonly nodeName: string,
    /** Runs a command on this node; its answer (or `{error}` if it throws) goes back to the asker. */
    readonly execute: (cmd: unknown) => Promise<unknown>,
    readonly log: Pick<Logger, 'warn'>,
  ) {
    this.#self = `${nodeName}/${randomBytes(6).toString('base64url')}`;
  }

  start(): void {
    this.bus.listen((message) => this.#receive(message));
    this.#peers.set(this.#self, Date.now());
    this.#hello(true);
    this.#timer = setInterval(() => this.#hello(false), HELLO_INTERVAL_MS).unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.bus.send(JSON.stringify({ t: 'bye', node: this.#self } satisfies BusMessage)).catch(() => {});
    for (const gathering of this.#gatherings.values()) gathering.done();
  }

  /** Run `cmd` on every node (this one included) and resolve with the answers that came in time. */
  async run<R>(cmd: unknown): Promise<Array<Answer<R>>> {
    const id = randomBytes(9).toString('base64url');
    const now = Date.now();
    const expected = new Set([...this.#peers].filter(([, seen]) => now - seen < PEER_TTL_MS).map(([node]) => node));
    expected.add(this.#self);
    const answers = new Map<string, Answer<unknown>>();
    const gathered = new Promise<void>((resolve) => {
      const timer = setTimeout(() => gathering.done(), GATHER_TIMEOUT_MS);
      const gathering: Gathering = {
        expected,
        answers,
        done: () => {
          clearTimeout(timer);
          this.#gatherings.delete(id);
          resolve();
        },
      };
      this.#gatherings.set(id, gathering);
    });
    try {
      await this.bus.send(JSON.stringify({ t: 'cmd', id, from: this.#self, cmd } satisfies BusMessage));
    } catch (err) {
      this.#gatherings.get(id)?.done();
      throw err;
    }
    await gathered;
    return [...answers.values()] as Array<Answer<R>>;
  }

  #hello(ask: boolean): void {
    this.bus.send(JSON.stringify({ t: 'hello', node: this.#self, ...(ask ? { ask } : {}) } satisfies BusMessage)).catch(() => {}); // the engine is down: the next hello retries
  }

  #receive(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    switch (message.t) {
      case 'hello':
        if (typeof message.node !== 'string') return;
        this.#peers.set(message.node, Date.now());
        if (message.ask && message.node !== this.#self) this.#hello(false);
        return;
      case 'bye':
        if (message.node !== this.#self) this.#peers.delete(message.node);
        return;
      case 'cmd':
        if (typeof message.id === 'string' && typeof message.from === 'string') void this.#answer(message.id, message.from, message.cmd);
        return;
      case 'ans': {
        if (message.to !== this.#self) return;
        const gathering = this.#gatherings.get(message.id);
        if (!gathering || typeof message.node !== 'string') return;
        gathering.answers.set(message.node, { node: message.node.slice(0, message.node.lastIndexOf('/')), result: message.result });
        this.#peers.set(message.node, Date.now());
        if ([...gathering.expected].every((peer) => gathering.answers.has(peer))) gathering.done();
        return;
      }
    }
  }

  async #answer(id: string, to: string, cmd: unknown): Promise<void> {
    let result: unknown;
    try {
      result = await this.execute(cmd);
    } catch (err) {
      this.log.warn({ err }, 'control command failed on this node');
      result = { error: err instanceof Error ? err.message : String(err) };
    }
    try {
      await this.bus.send(JSON.stringify({ t: 'ans', id, to, node: this.#self, result } satisfies BusMessage));
    } catch (err) {
      this.log.warn({ err }, 'control answer not sent');
    }
  }
}
