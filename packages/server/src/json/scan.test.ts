import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawMember, rawRoot } from './raw.js';
import { elementSpans, JsonTooDeep, minify, scanJson } from './scan.js';

/** Small seeded PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['""', '"a"', '"\\""', '"\\\\"', '"\\\\\\""', '"},\\"x\\":1"', '"]:,{["', '"\\u0022"', '"é\\u00e9"', '" \\n\\t "'];
const NUMBERS = ['0', '-0', '1.0', '1e400', '12345678901234567890', '-1.5E-3'];

/** A random JSON text with random insignificant whitespace between tokens. */
function generate(rand: () => number, depth: number): string {
  const ws = () => [' ', '', '\n', '\t', '\r\n ', ''][Math.floor(rand() * 6)]!;
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!;
  const r = rand();
  if (depth === 0 || r < 0.3) return pick([...STRINGS, ...NUMBERS, 'true', 'false', 'null']);
  const n = Math.floor(rand() * 4);
  if (r < 0.6) return `[${ws()}${Array.from({ length: n }, () => generate(rand, depth - 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  const keys = Array.from({ length: n }, () => pick(['"data"', '"d\\u0061ta"', '"id"', '"x"', ...STRINGS]));
  return `{${ws()}${keys.map((k) => `${k}${ws()}:${ws()}${generate(rand, depth - 1)}`).join(`${ws()},${ws()}`)}${ws()}}`;
}

describe('json/scan', () => {
  it("finds each top-level member's text exactly where JSON.parse finds its value (2000 random documents)", () => {
    const rand = random(12);
    for (let i = 0; i < 2000; i++) {
      const text = ` ${generate(rand, 5)}\n`;
      const value = JSON.parse(text) as unknown;
      const scan = scanJson(text, 64);
      assert.deepEqual(JSON.parse(rawRoot(text, scan)), value, text);
      assert.ok(!/\s/.test(minify(rawRoot(text, scan)).replace(/"(?:[^"\\]|\\.)*"/g, '')), text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        assert.equal(scan.members, undefined, text);
        continue;
      }
      const object = value as Record<string, unknown>;
      assert.deepEqual([...scan.members!.keys()].sort(), Object.keys(object).sort(), text);
      for (const key of Object.keys(object)) assert.deepEqual(JSON.parse(rawMember(text, scan, key)), object[key], `${key} in ${text}`);
    }
  });

  it('keeps every token as sent and drops only whitespace outside strings', () => {
    const text = '{"data" : { "n": [ 1.0 , -0, 1e400, 12345678901234567890 ], "s": " a \\" b " } }';
    assert.equal(rawMember(text, scanJson(text, 64), 'data'), '{"n":[1.0,-0,1e400,12345678901234567890],"s":" a \\" b "}');
    assert.equal(rawMember('{"data":-0.0E+00 }', scanJson('{"data":-0.0E+00 }', 64), 'data'), '-0.0E+00');
  });

  it('counts depth over objects and arrays alike, and refuses past the limit after one pass', () => {
    assert.doesNotThrow(() => scanJson('[[{"a":[1]}]]', 4));
    assert.throws(() => scanJson('[[{"a":[[1]]}]]', 4), (err: unknown) => err instanceof JsonTooDeep && /max_json_depth \(4 levels\)/.test(err.message));
    assert.doesNotThrow(() => scanJson('"[[[[[[[[[["', 2), 'brackets inside strings do not count');
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const err = (() => {
      try {
        scanJson(`{"id":7,"x":${deep}}`, 64);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof JsonTooDeep);
    assert.deepEqual(err.scan.members?.has('id'), true, 'the scan of a refused text is complete, for its id');
  });

  it('elementSpans splits an array into its elements, whatever they hold', () => {
    for (const text of ['[]', '[ ]', '[1]', '[1,2]', ' [ 1 , "a,]" , {"x":[1,{"y":"}"}]} ,[[]],null,-1.5e3 ] ', '["\\"", {}]']) {
      const root = scanJson(text, 64).root;
      const parts = elementSpans(text, root).map((s) => JSON.parse(text.slice(s.start, s.end)) as unknown);
      assert.deepEqual(parts, JSON.parse(text), text);
    }
  });
});
