/**
 * RawSseClient against a hand-written chunked event stream delivered in awkward pieces: every
 * line, chunk-size line and CRLF may be cut by a read boundary, and an event may span chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { RawSseClient } from './raw-sse.js';

const EVENTS = [
  'event: subscribed\ndata: {"type":"subscribed","channel":"bench","offset":0,"epoch":"e"}\nid: e:0\n\n',
  ':\n\n',
  'data: {"type":"message","data":{"bs":1,"bt":2,"p":"xx"}}\nid: e:1\n\n',
  'event: named\r\ndata:{"type":"message","data":{"bs":3,"bt":4}}\r\nid: e:2\r\n\r\n',
];

function chunked(body: string, pieces: number): Buffer {
  const bytes = Buffer.from(body);
  const parts: Buffer[] = [];
  const size = Math.ceil(bytes.length / pieces);
  for (let i = 0; i < bytes.length; i += size) {
    const chunk = bytes.subarray(i, i + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

async function receive(wire: Buffer, split: number): Promise<{ data: string[]; opened: boolean; closed: string }> {
  const server = createServer((socket: Socket) => {
    socket.once('data', () => {
      socket.setNoDelay(true);
      const all = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'), wire, Buffer.from('0\r\n\r\n')]);
      let pos = 0;
      const next = (): void => {
        if (pos >= all.length) return void socket.end();
        socket.write(all.subarray(pos, pos + split), () => setTimeout(next, 1));
        pos += split;
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const data: string[] = [];
  let opened = false;
  const closed = await new Promise<string>((resolve) => {
    new RawSseClient({
      host: '127.0.0.1',
      port,
      path: '/sse?channel=bench',
      handlers: {
        onOpen: () => (opened = true),
        onData: (buf, start, end) => data.push(buf.toString('utf8', start, end)),
        onClose: resolve,
      },
    });
  });
  server.close();
  return { data, opened, closed };
}

test('RawSseClient reports every data line whatever the read and chunk boundaries', { timeout: 20_000 }, async () => {
  const expected = [
    '{"type":"subscribed","channel":"bench","offset":0,"epoch":"e"}',
    '{"type":"message","data":{"bs":1,"bt":2,"p":"xx"}}',
    '{"type":"message","data":{"bs":3,"bt":4}}',
  ];
  for (const pieces of [1, 3, 17]) {
    for (const split of [1, 2, 7, 64, 100_000]) {
      const r = await receive(chunked(EVENTS.join(''), pieces), split);
      assert.ok(r.opened);
      assert.deepEqual(r.data, expected, `pieces ${pieces}, split ${split}`);
      assert.equal(r.closed, 'end of stream');
    }
  }
});
