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
