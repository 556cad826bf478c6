/**
 * @module test/hook-backend
 * A real backend for hook tests: a node:http server on 127.0.0.1:0 that checks Herald's signature
 * on every request with the backend SDK (@herald/publisher), answers by path (`/connect`, `/subscribe`, …) with what the test's handler
 * returns (signed, as docs/hooks.md says a backend should), and records what it was asked.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { HOOK_SIGNATURE_HEADER, signHookAnswer, verifyHookRequest } from '@herald/publisher';

export interface HookCall {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** The request carried a valid signature made with the test secret. */
  signed: boolean;
}

/** What the handler answers: a JSON body (status 200), or `{status, body}`, after `delayMs`. */
export type HookAnswer = Record<string, unknown> | { status: number; body: string; delayMs?: number };
export type HookHandler = (call: HookCall) => HookAnswer | Promise<HookAnswer>;

export interface HookBackend {
  url: string;
  calls: HookCall[];
  /** The most requests this backend had open at once. */
  readonly maxInFlight: number;
  handle(path: string, handler: HookHandler): void;
  close(): Promise<void>;
}

export async function hookBackend(secret: string, options: { signAnswers?: boolean } = {}): Promise<HookBackend> {
  const handlers = new Map<string, HookHandler>();
  const calls: HookCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      // The backend SDK's verifier, as a real backend would use it.
      const signature = verifyHookRequest(secret, req.headers[HOOK_SIGNATURE_HEADER] as string | undefined, text);
      const call: HookCall = { path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown>, headers: req.headers, signed: signature !== undefined };
      calls.push(call);
      const handler = handlers.get(call.path);
      void Promise.resolve(handler ? handler(call) : { status: 404, body: 'no handler' }).then(async (answer) => {
        const raw = 'status' in answer && typeof answer.status === 'number' ? (answer as { status: number; body: string; delayMs?: number }) : { status: 200, body: JSON.stringify(answer) };
        if (raw.delayMs) await new Promise((r) => setTimeout(r, raw.delayMs));
        if (res.destroyed) return;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (options.signAnswers !== false && signature) headers[HOOK_SIGNATURE_HEADER] = signHookAnswer(secret, signature.id, raw.body);
        res.writeHead(raw.status, headers).end(raw.body);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    handle: (path, handler) => void handlers.set(path, handler),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
