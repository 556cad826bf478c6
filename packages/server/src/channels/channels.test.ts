import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@herald/protocol';
import { loadConfig } from '../config/load.js';
import { HeraldError } from '../errors.js';
import { Channels } from './channels.js';

const channels = new Channels(
  loadConfig({
    env: {},
    object: {
      limits: { max_channel_length: 20 },
      namespaces: { default: {}, chat: { history_size: 5 }, fixed: { allow_create_new_channels: false, channels: ['lobby'] } },
    },
  }),
);

const code = (name: unknown) => {
  try {
    channels.resolve(name);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof HeraldError);
    return err.code;
  }
};

describe('Channels.resolve', () => {
  it('maps "ns:name" to its namespace and bare names to default', () => {
    assert.equal(channels.resolve('chat:room-1').namespace, 'chat');
    assert.equal(channels.resolve('chat:room-1').options.history_size, 5);
    assert.equal(channels.resolve('news').namespace, 'default');
    assert.equal(channels.resolve('chat:a:b').namespace, 'chat', 'only the first colon splits');
    assert.equal(channels.resolve('fixed:lobby').name, 'fixed:lobby');
  });

  const table: Array<[unknown, string]> = [
    ['notifications#u42', 'ok'],
    ['a.b-c_d@e=f,g/h', 'ok'],
    ['', ErrorCode.InvalidChannel],
    [42, ErrorCode.InvalidChannel],
    ['x'.repeat(21), ErrorCode.InvalidChannel],
    ['has space', ErrorCode.InvalidChannel],
    ['emoji-🙂', ErrorCode.InvalidChannel],
    ['quote"', ErrorCode.InvalidChannel],
    ['chat:', ErrorCode.InvalidChannel],
    [':name', ErrorCode.InvalidChannel],
    ['Chat:x', ErrorCode.InvalidChannel],
    ['nope:x', ErrorCode.UnknownChannel],
    ['fixed:other', ErrorCode.UnknownChannel],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} → ${expected}`, () => assert.equal(code(name), expected));
  }
});

describe('server.accept_any_namespace (dev mode: no config file)', () => {
  it('is on without a config file and off with one', () => {
    assert.equal(loadConfig({ env: {} }).server.accept_any_namespace, true);
    assert.equal(loadConfig({ env: {}, object: {} }).server.accept_any_namespace, false);
  });

  it('gives an unconfigured namespace the default namespace options; the reserved one stays refused', () => {
    const open = new Channels(loadConfig({ env: {}, object: { server: { accept_any_namespace: true }, namespaces: { default: { history_size: 7 }, chat: { history_size: 5 } } } }));
    assert.equal(open.resolve('orders:42').namespace, 'orders');
    assert.equal(open.resolve('orders:42').options.history_size, 7);
    assert.equal(open.resolve('chat:x').options.history_size, 5, 'a configured namespace keeps its own options');
    assert.throws(() => open.resolve('_herald:admin.n1'), (err: unknown) => err instanceof HeraldError && err.code === ErrorCode.UnknownChannel);
    const noDefault = new Channels(loadConfig({ env: {}, object: { server: { accept_any_namespace: true }, namespaces: { chat: {} } } }));
    assert.equal(noDefault.resolve('orders:42').options.history_size, 100, 'the schema defaults when `default` is not configured');
  });
});
