/**
 * A client generated from docs/openapi.json (openapi-typescript types + openapi-fetch), as a
 * backend in any language would generate one, publishing to a real node with an API key while a
 * real WebSocket subscriber listens.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_KEY, startServer, TestClient } from '@herald/server/testing';
import createClient from 'openapi-fetch';
import { CLIENT_TYPES, renderClientTypes } from './openapi/client-types.js';
import type { paths } from './openapi/herald-api.js';

describe('client generated from the OpenAPI document', () => {
  it('is current with docs/openapi.json (run `npm run docs:openapi` and commit the result)', async () => {
    assert.equal(readFileSync(CLIENT_TYPES, 'utf8'), await renderClientTypes());
  });

  it('publishes with an API key; a WebSocket subscriber receives the message; errors arrive typed', async () => {
    const server = await startServer({ namespaces: { orders: {} } });
    const subscriber = await TestClient.connect(server.wsUrl);
    try {
      await subscriber.subscribe('orders:42');
      const herald = createClient<paths>({ baseUrl: server.url, headers: { authorization: `Bearer ${API_KEY}` } });

      const published = await herald.POST('/api/publish', { body: { channel: 'orders:42', event: 'updated', data: { status: 'paid' } } });
      assert.equal(published.response.status, 200);
      assert.equal(published.data?.channel, 'orders:42');
      assert.equal(published.data.offset, 1);
      const [message] = await subscriber.waitForMessages(1, 'orders:42');
      assert.deepEqual(message, { type: 'message', channel: 'orders:42', offset: 1, epoch: published.data.epoch, event: 'updated', data: { status: 'paid' } });

      const history = await herald.GET('/api/channels/{channel}/history', { params: { path: { channel: 'orders:42' }, query: { since: 0, epoch: published.data.epoch } } });
      assert.deepEqual(history.data?.publications, [{ offset: 1, event: 'updated', data: { status: 'paid' } }]);

      const anonymous = createClient<paths>({ baseUrl: server.url });
      const refused = await anonymous.POST('/api/publish', { body: { channel: 'orders:42', data: 1 } });
      assert.equal(refused.response.status, 401);
      assert.equal(refused.error?.error.code, 'unauthorized');
      assert.equal(refused.error.error.reason, 'missing_credentials');
      assert.equal(subscriber.messages('orders:42').length, 1, 'the refused publish reached nobody');
    } finally {
      subscriber.close();
      await server.close();
    }
  });
});
