/**
 * @module sources/mapping
 * Turns a source record into what `POST /api/publish` would receive: channel, event, data and an
 * idempotency key. Channel, event and key are templates over the record's fields
 * (`orders:{order_id}`, `devices:{topic.1}`); data names the field holding the JSON text. A record
 * that cannot be mapped is poison: a `PoisonRecord` error with the documented error code as reason.
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';
import { MAX_EVENT_LENGTH } from '../connection/parse.js';
import { rawRoot, type RawJson } from '../json/raw.js';
import { scanJson } from '../json/scan.js';
import type { RecordFields, SourceRecord } from './source.js';

export interface MappingConfig {
  /** Template of the channel, e.g. `{channel}` or `orders:{order_id}`. */
  channel: string;
  /** Template of the event name; a missing field or an empty result means no event. */
  event: string;
  /** The field whose value is the publication's JSON data. */
  data: string;
  /** Template of the idempotency key; a missing field or an empty result means the source's own `<source>.<record id>`. */
  idempotency_key: string;
}

export interface Limits {
  /** Largest data, in UTF-8 bytes. */
  maxDataBytes: number;
  maxJsonDepth: number;
}

export interface MappedRecord {
  channel: string;
  event: string | undefined;
  data: RawJson;
  key: string;
}

/** A record that will never publish, whatever is retried: it goes to the dead-letter place. */
export class PoisonRecord extends Error {
  constructor(
    /** An error code of docs/protocol.md, e.g. `bad_json`, `unknown_channel`, `payload_too_large`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;
const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** `undefined` when a field the template names is missing: the caller decides what that means. */
export function renderTemplate(template: string, fields: RecordFields): string | undefined {
  let missing = false;
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = fields[name];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

/** Field names a template refers to (config checks, docs). */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function mapRecord(source: string, record: SourceRecord, mapping: MappingConfig, limits: Limits): MappedRecord {
  const channel = renderTemplate(mapping.channel, record.fields);
  if (!channel) throw new PoisonRecord(ErrorCode.InvalidChannel, `no channel: template "${mapping.channel}" names a field the record lacks`);
  const event = renderTemplate(mapping.event, record.fields) || undefined;
  // The API's and the protocol's limit: a source is no way around it (an event name travels with
  // every message and history entry, and only data counts toward limits.max_body_bytes).
  if (event !== undefined && event.length > MAX_EVENT_LENGTH) throw new PoisonRecord(ErrorCode.BadRequest, `event must be 1 to ${MAX_EVENT_LENGTH} characters`);
  const text = record.fields[mapping.data];
  if (text === undefined) throw new PoisonRecord(ErrorCode.BadJson, `no "${mapping.data}" field holding the data`);
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxDataBytes) throw new PoisonRecord(ErrorCode.PayloadTooLarge, `data is ${bytes} bytes, over the ${limits.maxDataBytes} allowed (limits.max_body_bytes)`);
  const key = renderTemplate(mapping.idempotency_key, record.fields) || defaultKey(source, record.id);
  if (!KEY.test(key)) throw new PoisonRecord(ErrorCode.BadRequest, 'idempotency key must be 1-128 characters of A-Z a-z 0-9 _ . : -');
  return { channel, event, data: parseData(text, limits.maxJsonDepth), key };
}

/** `<source>.<record id>`, or its hash where that does not fit the key rules (a stream name with `/`, a long topic). */
function defaultKey(source: string, id: string): string {
  const key = `${source}.${id}`;
  return KEY.test(key) ? key : `${source}.${createHash('sha256').update(id).digest('base64url')}`.slice(0, 128);
}

function parseData(text: string, maxDepth: number): RawJson {
  try {
    const scan = scanJson(text, maxDepth);
    JSON.parse(text);
    return rawRoot(text, scan);
  } catch (err) {
    if (err instanceof HeraldError) throw new PoisonRecord(err.code, err.message);
    throw new PoisonRecord(ErrorCode.BadJson, `data is not JSON: ${(err as Error).message}`);
  }
}
