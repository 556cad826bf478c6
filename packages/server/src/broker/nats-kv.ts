/**
 * @module broker/nats-kv
 * Compare-and-set on one key of a JetStream key-value bucket: read, change, write back expecting
 * the revision read, retried when another node wrote in between. What the NATS engine uses where
 * Redis runs a script: presence, Idempotency-Key claims, shared counters.
 */
import type { KV } from '@nats-io/kv';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** Attempts before giving up (only under heavy contention on one key). */
const MAX_ATTEMPTS = 50;

/** The key's document (undefined if deleted) and revision; undefined if it never existed. */
export async function readKey<T>(kv: KV, key: string): Promise<{ value: T | undefined; revision: number } | undefined> {
  const entry = await kv.get(key);
  if (!entry) return undefined;
  return { value: entry.operation === 'PUT' ? entry.json<T>() : undefined, revision: entry.revision };
}

/** What to do with a key: write a new document, remove it, or neither; and what to answer. */
export interface Change<T, R> {
  result: R;
  write?: T;
  remove?: boolean;
}

/** `change` sees the current document (undefined: none) and says what to do; its result is returned once that is done. */
export async function mutateKey<T, R>(kv: KV, key: string, change: (doc: T | undefined) => Change<T, R>): Promise<R> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readKey<T>(kv, key);
    const next = change(current?.value);
    try {
      if (next.write !== undefined) {
        const data = JSON.stringify(next.write);
        if (current) await kv.update(key, data, current.revision);
        else await kv.create(key, data);
      } else if (next.remove && current?.value !== undefined) {
        await kv.delete(key, { previousSeq: current.revision });
      }
      return next.result;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  throw new Error(`key ${key} kept changing over ${MAX_ATTEMPTS} attempts`);
}

/** JetStream refused a write because the subject moved on since it was read (a lost compare-and-set). */
export function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
