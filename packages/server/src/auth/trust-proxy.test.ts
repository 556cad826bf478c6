/**
 * server.trust_proxy: behind a trusted proxy, the per-address failure limit counts the client's
 * address from X-Forwarded-For; from anyone else the header is ignored (it cannot be spoofed to
 * dodge the limit).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloseCode } from '@herald/protocol';
import { api, connectOutcome, publish, startServer } from '../test/helpers.js';

const bad = (xff: string) => ({ authorization: 'Bearer wrong-key-wrong-key', 'x-forwarded-for': xff });

describe('server.trust_proxy', () => {
  it('behind a trusted proxy, publishers are limited per forwarded address', async () => {
    const server = await startServer({ server: { trust_proxy: ['loopback'] }, auth: { failure_limit_per_minute: 2 } });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await api(server, '/api/publish', { body: { channel: 'a', data: 1 }, headers: bad('203.0.113.1') })).status, 401);
      assert.equal((await api(server, '/api/publish', { body: { channel: 'a', data: 1 }, headers: bad('203.0.113.1') })).status, 429);
      const other = await api(server, '/api/publish', { body: { channel: 'a', data: 1 }, headers: { 'x-forwarded-for': '203.0.113.2' } });
      assert.equal(other.status, 200, 'another client behind the same proxy is not blocked');
    } finally {
      await server.close();
    }
  });

  it('behind a trusted proxy, client tokens are limited per forwarded address', async () => {
    const server = await startServer({ server: { trust_proxy: ['127.0.0.1'] }, auth: { failure_limit_per_minute: 2, jwt: { secrets: ['client-secret-0123456789'] } } });
    try {
      const url = `${server.wsUrl}?token=not-a-jwt`;
      for (let i = 0; i < 2; i++) assert.equal((await connectOutcome(url, { 'x-forwarded-for': '198.51.100.7' })).code, CloseCode.Unauthorized);
      assert.equal((await connectOutcome(url, { 'x-forwarded-for': '198.51.100.7' })).code, 429);
      assert.equal((await connectOutcome(url, { 'x-forwarded-for': '198.51.100.8' })).code, CloseCode.Unauthorized, 'not blocked: a different client');
    } finally {
      await server.close();
    }
  });

  it('without trust_proxy, X-Forwarded-For is ignored', async () => {
    const server = await startServer({ auth: { failure_limit_per_minute: 2 } });
    try {
      for (const xff of ['192.0.2.1', '192.0.2.2']) assert.equal((await api(server, '/api/publish', { body: { channel: 'a', data: 1 }, headers: bad(xff) })).status, 401);
      assert.equal((await api(server, '/api/publish', { body: { channel: 'a', data: 1 }, headers: bad('192.0.2.3') })).status, 429);
      assert.equal((await publish(server, 'a', 1)).status, 429, 'the real peer address is blocked');
    } finally {
      await server.close();
    }
  });
});
