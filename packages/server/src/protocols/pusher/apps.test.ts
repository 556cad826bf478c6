/**
 * Pusher apps from the configuration (file and environment) and how their channels map onto
 * Herald's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config/load.js';
import { channelKind, heraldChannel, isCacheChannel, pusherChannel, PusherApps, validChannelName } from './apps.js';

describe('pusher apps', () => {
  it('come from pusher.apps, PUSHER_APP_* or HERALD_PUSHER__APPS', () => {
    const fromFile = loadConfig({ object: { pusher: { apps: [{ id: 12345, key: 'k1', secret: 'secret-one' }] } }, env: {} });
    assert.deepEqual(new PusherApps(fromFile.pusher.apps).byId('12345')?.namespace, 'pusher-12345');
    const fromEnv = loadConfig({ object: {}, env: { PUSHER_APP_ID: '7', PUSHER_APP_KEY: 'k7', PUSHER_APP_SECRET: 'secret-seven' } });
    assert.deepEqual(fromEnv.pusher.apps.map((a) => [a.id, a.key, a.client_events, a.webhook_delay_ms]), [['7', 'k7', true, 3000]]);
    const list = loadConfig({ object: {}, env: { HERALD_PUSHER__APPS: '[{id: "a", key: ka, secret: secret-a, namespace: shop}, {id: b, key: kb, secret: secret-b}]' } });
    const apps = new PusherApps(list.pusher.apps);
    assert.equal(apps.byKey('ka')?.namespace, 'shop');
    assert.equal(apps.ofChannel('pusher-b:presence-x')?.id, 'b');
    assert.equal(apps.ofChannel('orders:1'), undefined);
  });

  it('refuses apps that share a key, an id or a namespace', () => {
    const app = { id: '1', key: 'k', secret: 'secret-1', namespace: '' };
    const full = (a: Record<string, unknown>) => loadConfig({ object: { pusher: { apps: [app, a] } }, env: {} }).pusher.apps;
    assert.throws(() => new PusherApps(full({ ...app, id: '2' })), ConfigError);
    assert.throws(() => new PusherApps(full({ ...app, key: 'k2' })), ConfigError);
    assert.throws(() => new PusherApps(full({ id: '2', key: 'k2', secret: 'secret-2', namespace: 'pusher-1' })), ConfigError);
    assert.throws(() => loadConfig({ object: { pusher: { apps: [{ id: '1', key: 'k' }] } }, env: {} }), ConfigError, 'a secret is required');
  });

  it('map Pusher channels into the app namespace and classify them', () => {
    const [app] = new PusherApps(loadConfig({ object: { pusher: { apps: [{ id: 'X1', key: 'k', secret: 'secret-x' }] } }, env: {} }).pusher.apps).all();
    assert.equal(heraldChannel(app!, 'private-a;b'), 'pusher-x1:private-a;b');
    assert.equal(pusherChannel('pusher-x1:presence-room:1'), 'presence-room:1');
    assert.deepEqual(['a', 'private-a', 'private-encrypted-a', 'presence-a', '#server-to-user-1'].map(channelKind), ['public', 'private', 'encrypted', 'presence', 'user']);
    assert.deepEqual(['cache-a', 'private-cache-a', 'private-encrypted-cache-a', 'presence-cache-a', 'a-cache-b'].map(isCacheChannel), [true, true, true, true, false]);
    assert.deepEqual(['ok-_=@,.;', '#server-to-user-1', 'bad name', 'x'.repeat(201), '', 5].map(validChannelName), [true, true, false, false, false, false]);
  });
});
