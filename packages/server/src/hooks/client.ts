/**
 * @module hooks/client
 * The one HTTP client that calls the backend's hooks: a signed JSON POST, bounded in time
 * (`hooks.timeout_ms`, waiting for a slot included), in concurrency (`hooks.max_concurrency` per
 * node) and in answer size. Whatever goes wrong becomes a HeraldError a client can act on:
 * the backend's refusal (HookRefused) or `unavailable` saying what happened. Publications never
 * pass through here, so a slow backend delays only the commands that wait for it.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@herald/protocol';
import type { Logger } from 'pino';
import type { HooksConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';
import { HookRefused, type HookName } from './hooks.js';
import { HOOK_SIGNATURE_HEADER, signHook, verifyHook } from './signature.js';

export type HookOutcome = 'ok' | 'refused' | 'timeout' | 'busy' | 'unreachable' | 'http_error' | 'invalid';

/** Calls per hook and outcome, and their total duration, read by the metrics at scrape time. */
export class HookStats {
  readonly calls = new Map<string, { hook: HookName; outcome: HookOutcome; count: number; seconds: number }>();
  inFlight = 0;

  record(hook: HookName, outcome: HookOutcome, seconds: number): void {
    const key = `${hook} ${outcome}`;
    const entry = this.calls.get(key) ?? { hook, outcome, count: 0, seconds: 0 };
    entry.count++;
    entry.seconds += seconds;
    this.calls.set(key, entry);
  }
}

class HookFailure extends HeraldError {
  constructor(
    readonly outcome: HookOutcome,
    message: string,
  ) {
    super(ErrorCode.Unavailable, message);
  }
}

export class HookClient {
  readonly stats = new HookStats();
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly config: HooksConfig,
    readonly log: Logger,
  ) {}

  /** POST `body` (JSON text) to `url`; the backend's `result` object, or a HeraldError. */
  async call(hook: HookName, url: string, body: string): Promise<Record<string, unknown>> {
    const started = performance.now();
    const deadline = started + this.config.timeout_ms;
    let outcome: HookOutcome = 'ok';
    try {
      await this.#slot(hook, deadline);
      try {
        return await this.#post(hook, url, body, deadline);
      } finally {
        this.#release();
      }
    } catch (err) {
      outcome = err instanceof HookFailure ? err.outcome : err instanceof HookRefused ? 'refused' : 'invalid';
      if (outcome !== 'refused') this.log.warn({ hook, url, err: (err as Error).message }, 'backend hook failed');
      throw err;
    } finally {
      this.stats.record(hook, outcome, (performance.now() - started) / 1000);
    }
  }

  async #post(hook: HookName, url: string, body: string, deadline: number): Promise<Record<string, unknown>> {
    const id = randomBytes(12).toString('base64url');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-herald-hook': hook };
    if (this.config.secret) headers[HOOK_SIGNATURE_HEADER] = signHook(this.config.secret, id, body);
    const ms = this.config.timeout_ms;
    const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())));
    let text: string;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, signal });
      text = await readLimited(response, this.config.max_body_bytes);
    } catch (err) {
      if (signal.aborted) throw new HookFailure('timeout', `the backend's ${hook} hook did not answer within ${ms} ms; retry later`);
      if (err instanceof HookFailure) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HookFailure('unreachable', `the backend's ${hook} hook is unreachable (${cause?.code ?? cause?.message ?? (err as Error).message}); retry later`);
    }
    if (response.status < 200 || response.status > 299) throw new HookFailure('http_error', `the backend's ${hook} hook answered HTTP ${response.status}; retry later`);
    if (this.config.verify_responses && verifyHook(this.config.secret, response.headers.get(HOOK_SIGNATURE_HEADER), text)?.id !== id) {
      throw new HookFailure('invalid', `the backend's ${hook} hook answer has no valid ${HOOK_SIGNATURE_HEADER}`);
    }
    return parseAnswer(hook, text);
  }

  /** Wait for one of `max_concurrency` slots until `deadline`. */
  #slot(hook: HookName, deadline: number): Promise<void> {
    if (this.stats.inFlight < this.config.max_concurrency) {
      this.stats.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.stats.inFlight++;
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(new HookFailure('busy', `the backend's ${hook} hook has ${this.config.max_concurrency} calls in flight and none ended within ${this.config.timeout_ms} ms; retry later`));
      }, Math.max(0, deadline - performance.now()));
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    this.stats.inFlight--;
    this.#waiting.shift()?.();
  }
}

async function readLimited(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > max) {
    await response.body?.cancel();
    throw new HookFailure('invalid', `hook answer of ${declared} bytes is above hooks.max_body_bytes (${max})`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw new HookFailure('invalid', `hook answer is above hooks.max_body_bytes (${max})`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `{"result": {...}}` or `{"error": {"code": "...", "message": "..."}}`; anything else is a failed call. */
function parseAnswer(hook: HookName, text: string): Record<string, unknown> {
  const invalid = (why: string) => new HookFailure('invalid', `the backend's ${hook} hook gave an invalid answer (${why})`);
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  if (!isObject(answer)) throw invalid('not a JSON object');
  if (isObject(answer.error)) {
    const { code, message } = answer.error;
    throw new HookRefused(typeof code === 'string' ? code : 'forbidden', typeof message === 'string' ? message.slice(0, 512) : `refused by the backend's ${hook} hook`);
  }
  if (answer.result === undefined) return {};
  if (!isObject(answer.result)) throw invalid('"result" must be an object');
  return answer.result;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
