import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerFrame } from '@herald/protocol';
import { WebSocket } from 'ws';
import { loadConfig } from './config/load.js';
import { createHerald } from './server.js';
import { API_KEY, startServer, waitUntil, type TestServer } from './test/helpers.js';
import { RawSseStream } from './test/raw-sse.js';

/** A throwaway self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
function selfSigned(dir: string): { cert_file: string; key_file: string } {
  const cert_file = join(dir, 'cert.pem');
  const key_file = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key_file, '-out', cert_file,
  ], { stdio: 'ignore' });
  return { cert_file, key_file };
}

/** A WebSocket client that trusts `ca` and records frames. */
async function wssClient(url: string, ca: Buffer): Promise<{ ws: WebSocket; frames: ServerFrame[] }> {
  const ws = new WebSocket(url, { ca });
  const frames: ServerFrame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await waitUntil(() => frames.some((f) => f.type === 'connected'), 2000, () => 'connected frame');
  return { ws, frames };
}

function httpsPublish(port: number, ca: Buffer, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/api/publish', method: 'POST', ca, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('TLS (server.tls)', () => {
  let dir: string;
  let files: { cert_file: string; key_file: string };
  let ca: Buffer;
  let server: TestServer;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
    files = selfSigned(dir);
    ca = readFileSync(files.cert_file);
    server = await startServer({ server: { tls: files } });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wss:// subscribe and https:// publish work on the one port', async () => {
    const { ws, frames } = await wssClient(`wss://127.0.0.1:${port}/ws`, ca);
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', channel: 'secure' }));
    await waitUntil(() => frames.some((f) => f.type === 'reply' && f.id === 1), 2000, () => 'subscribe reply');
    const res = await httpsPublish(port, ca, { channel: 'secure', data: { hello: 'tls' } });
    assert.equal(res.status, 200);
    assert.equal(res.json.offset, 1);
    const message = await waitUntil(() => frames.find((f) => f.type === 'message'), 2000, () => 'the message over wss');
    assert.deepEqual((message as { data: unknown }).data, { hello: 'tls' });
    ws.close();
  });

  it('an https:// SSE stream is released from HTTP state as over plain TCP: it delivers, and a pipelined request ends it', async () => {
    const stream = await RawSseStream.open(server.url.replace('http:', 'https:'), '/sse?channel=secure-sse', {}, ca);
    await stream.waitFor(/event: subscribed\n/);
    assert.equal((await httpsPublish(port, ca, { channel: 'secure-sse', data: { hello: 'sse' } })).status, 200);
    await waitUntil(() => stream.messages().length === 1, 2000, () => 'the message over https');
    assert.deepEqual(stream.messages(), [{ hello: 'sse' }]);
    stream.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await stream.closed;
    assert.match(stream.text, /0\r\n\r\n$/);
  });

  it('plain HTTP and ws:// to the TLS port fail cleanly; the node and its clients carry on', async () => {
    const { ws, frames } = await wssClient(`wss://127.0.0.1:${port}/ws`, ca);
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', channel: 'bystander' }));
    await waitUntil(() => frames.some((f) => f.type === 'reply' && f.id === 1), 2000, () => 'subscribe reply');

    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', timeout: 3000 }, (res) => resolve(`status ${res.statusCode}`));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.end();
    });
    assert.match(plain, /^(error|status 400)/, plain);
    assert.doesNotMatch(plain, /timeout/);
    const insecure = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      socket.on('open', () => resolve('open'));
      socket.on('error', (err) => resolve(`error ${err.message}`));
    });
    assert.match(insecure, /^error/);

    assert.equal((await httpsPublish(port, ca, { channel: 'bystander', data: 1 })).status, 200);
    await waitUntil(() => frames.some((f) => f.type === 'message'), 2000, () => 'the bystander still receives');
    ws.close();
  });

  it('refuses to start with half a TLS configuration or an unreadable file, naming the key', () => {
    const config = (tls: Record<string, string>) => loadConfig({ object: { server: { tls }, log: { level: 'silent' } }, env: {} });
    assert.throws(() => createHerald(config({ cert_file: files.cert_file })), /server\.tls needs both cert_file and key_file/);
    assert.throws(() => createHerald(config({ cert_file: files.cert_file, key_file: join(dir, 'missing.pem') })), /server\.tls\.key_file: cannot read .*ENOENT/);
  });
});
