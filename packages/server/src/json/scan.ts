/**
 * @module json/scan
 * One pass over untrusted JSON text, before anything parses it: refuses nesting deeper than the
 * configured limit (a deep value would overflow the stack of whatever recurses over it later,
 * e.g. JSON.stringify), and records where the top-level value and the top-level object's member
 * values lie in the text, so a publication's `data` can be relayed as the publisher's own bytes.
 *
 * It does not validate: run JSON.parse after it, and trust the spans only when that succeeds.
 * It never recurses, so its own stack depth is constant whatever it is given.
 */
import { ErrorCode } from '@herald/protocol';
import { HeraldError } from '../errors.js';

/** Where a value lies in the text; `spaced` when insignificant whitespace sits inside it. */
export interface Span {
  start: number;
  end: number;
  spaced: boolean;
}

export interface JsonScan {
  /** The whole value (without surrounding whitespace). */
  root: Span;
  /** When the value is an object: each member's value, by key (the last one wins, as in JSON.parse). */
  members: Map<string, Span> | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * What every JSON input deeper than the limit gets: `bad_request`, naming the limit. It carries
 * the scan of the whole text, so a WebSocket command can still be answered with its `id`.
 */
export class JsonTooDeep extends HeraldError {
  constructor(
    maxDepth: number,
    readonly scan: JsonScan,
  ) {
    super(ErrorCode.BadRequest, `JSON nested deeper than limits.max_json_depth (${maxDepth} levels)`);
  }
}

/**
 * Throws JsonTooDeep when objects/arrays nest more than `maxDepth` levels (a top-level `{}` is
 * level 1), after the whole pass.
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  let tooDeep = false;
  const root: Span = { start: -1, end: -1, spaced: false };
  let members: Map<string, Span> | undefined;
  let depth = 0;
  // Inside the top-level object: the key of the member being read, and its value's span.
  let key: string | undefined;
  let value: Span | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (depth >= 1) root.spaced = true;
      if (depth >= 2 && value) value.spaced = true;
      continue;
    }
    if (root.start === -1) root.start = i;
    if (c === QUOTE) {
      const start = i;
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
      root.end = i + 1;
      if (depth !== 1 || !members) continue;
      if (key === undefined) key = memberKey(text, start, i + 1);
      else if (!value) value = { start, end: i + 1, spaced: false };
      continue;
    }
    root.end = i + 1;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 1 && members && key !== undefined && !value) value = { start: i, end: -1, spaced: false };
      if (++depth > maxDepth) tooDeep = true;
      if (depth === 1 && c === OPEN_OBJECT) members = new Map();
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 2 && value) value.end = i + 1;
      if (depth === 1 && members) endMember();
      depth--;
    } else if (depth === 1 && members) {
      if (c === COMMA) endMember();
      else if (c !== COLON) {
        // A number or literal: it ends at the next comma or brace.
        if (key !== undefined && !value) value = { start: i, end: -1, spaced: false };
        if (value && value.end <= i) value.end = i + 1;
      }
    }
  }
  if (tooDeep) throw new JsonTooDeep(maxDepth, { root, members });
  return { root, members };

  function endMember(): void {
    if (key !== undefined && value && value.end > value.start) members!.set(key, value);
    key = undefined;
    value = undefined;
  }
}

function memberKey(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  if (!raw.includes('\\')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw; // malformed: JSON.parse of the whole text refuses it next
  }
}

/** The text of `span`, with insignificant whitespace removed when it holds any (tokens stay as they are). */
export function spanText(text: string, span: Span): string {
  const raw = text.slice(span.start, span.end);
  return span.spaced ? minify(raw) : raw;
}

/** Drop whitespace outside strings: valid JSON in, the same tokens out. Iterative like the scan. */
export function minify(text: string): string {
  let out = '';
  let from = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (isSpace(c)) {
      out += text.slice(from, i);
      while (i + 1 < n && isSpace(text.charCodeAt(i + 1))) i++;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/**
 * The spans of the elements of the array `text[span]` (already accepted by JSON.parse), so each
 * element of a batch can be scanned on its own (slice, then scanJson). Iterative like the scan.
 */
export function elementSpans(text: string, span: Span): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let start = -1;
  let last = -1;
  for (let i = span.start; i < span.end; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    if (depth === 1 && start === -1 && c !== CLOSE_ARRAY && c !== COMMA) start = i;
    if (c === QUOTE) {
      for (i++; i < span.end; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
    if (depth === 1 && c === COMMA) {
      spans.push({ start, end: last + 1, spaced: false });
      start = -1;
    } else if (depth === 0 && start !== -1) {
      spans.push({ start, end: last + 1, spaced: false });
      start = -1;
    }
    last = i;
  }
  return spans;
}
