import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCursor, parseCursor } from './cursor.js';

describe('cursor (SSE id and long-poll cursor)', () => {
  it('is epoch:offset for one channel, comma-separated in channel order for several', () => {
    assert.equal(formatCursor([{ epoch: 'a1b2', offset: 18 }]), 'a1b2:18');
    assert.equal(formatCursor([{ epoch: 'a1b2', offset: 18 }, undefined, { epoch: 'Zx9_-Q', offset: 0 }]), 'a1b2:18,,Zx9_-Q:0');
  });

  it('round-trips any epoch, escaping what would break the format, a header or an SSE line', () => {
    const positions = [{ epoch: 'odd:epoch,with\nnewline %', offset: 7 }, { epoch: '', offset: 0 }, undefined];
    const text = formatCursor(positions);
    assert.match(text, /^[\x21-\x7e]*$/, 'printable ASCII, no spaces');
    assert.deepEqual(parseCursor(text, 3, 'cursor'), positions);
  });

  it('means no position for every channel when absent or empty', () => {
    assert.deepEqual(parseCursor(undefined, 2, 'cursor'), [undefined, undefined]);
    assert.deepEqual(parseCursor('', 1, 'cursor'), [undefined]);
  });

  for (const [text, count] of [
    ['a:1', 2],
    ['a:1,b:2', 1],
    ['a1', 1],
    ['a:-1', 1],
    ['a:1.5', 1],
    ['a:99999999999999999999', 1],
    ['%E0%A4%A:1', 1],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} for ${count} channel(s) with bad_request`, () => {
      assert.throws(() => parseCursor(text, count, 'Last-Event-ID'), (err: { code?: string; message?: string }) => err.code === 'bad_request' && err.message!.includes('Last-Event-ID'));
    });
  }
});
