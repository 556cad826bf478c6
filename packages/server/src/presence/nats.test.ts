/**
 * NATS presence housekeeping: a channel emptied and deleted leaves a delete marker in the bucket;
 * the sweep purges it, and a channel written again at the same moment keeps its entry.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { waitUntil } from '../test/helpers.js';
import { deleteNatsStreams, NATS_SERVERS, uniquePrefix } from '../test/services.js';
import { NatsPresenceStore } from './nats.js';

const PREFIX = uniquePrefix();
after(() => deleteNatsStreams(PREFIX));

it('purges the delete markers of emptied channels, keeping entries written since', async () => {
  const nc = await connect({ servers: NATS_SERVERS });
  const bucket = new Kvm(nc).create(`${PREFIX}-presence`, { history: 1 });
  const store = new NatsPresenceStore({ bucket: () => bucket, connected: () => true, sweepIntervalMs: 20, tidyIntervalMs: 0 });
  try {
    for (let i = 0; i < 20; i++) {
      await store.add(`ch${i}`, { user: 'u', client: `c${i}` }, 60_000);
      await store.remove(`ch${i}`, `c${i}`);
    }
    await store.add('ch0', { user: 'u', client: 'back' }, 60_000);
    const jsm = await jetstreamManager(nc);
    const stored = async () => (await jsm.streams.info(`KV_${PREFIX}-presence`)).state.messages;
    assert.ok((await stored()) >= 20, 'a marker per emptied channel, plus the live keys');
    await store.start({ onExpired: () => {} });
    // Left: the node heartbeat key and ch0's live entry.
    await waitUntil(async () => (await stored()) === 2 || undefined, 10_000, () => 'markers purged');
    assert.deepEqual(await store.entries('ch0'), [{ user: 'u', client: 'back' }]);
  } finally {
    await store.close();
    await nc.close();
  }
});
