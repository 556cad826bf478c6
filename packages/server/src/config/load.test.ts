import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './load.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'herald-config-')), 'herald.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('fills every default from an empty config', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.server.port, 8080);
    assert.equal(c.engine.type, 'memory');
    assert.equal(c.limits.max_body_bytes, 65536);
    assert.deepEqual(Object.keys(c.namespaces), ['default']);
    assert.equal(c.namespaces.default!.history_size, 100);
    assert.deepEqual(c.namespaces.default!.transports, ['websocket', 'sse', 'longpoll']);
  });

  it('reads YAML, and namespace options get their defaults', () => {
    const c = loadConfig({ env: {}, file: file('server:\n  port: 9001\nnamespaces:\n  chat:\n    history_size: 10\n    allow_client_publish: true\n') });
    assert.equal(c.server.port, 9001);
    assert.equal(c.namespaces.chat!.history_size, 10);
    assert.equal(c.namespaces.chat!.history_ttl_seconds, 300);
    assert.equal(c.namespaces.default, undefined, 'declaring namespaces replaces the default set');
  });

  it('env overrides file, flags override env; seed variable names work', () => {
    const path = file('server:\n  port: 9001\nlog:\n  level: warn\n');
    const c = loadConfig({
      file: path,
      env: { PORT: '9002', LOG_LEVEL: 'debug', HERALD_LIMITS__SEND_BUFFER_BYTES: '2048', HERALD_API_KEYS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' },
      overrides: ['log.level=error'],
    });
    assert.equal(c.server.port, 9002);
    assert.equal(c.log.level, 'error');
    assert.equal(c.limits.send_buffer_bytes, 2048);
    assert.deepEqual(c.auth.api_keys, ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    assert.equal(loadConfig({ env: { SERVER_ADDR: ':7000' } }).server.port, 7000);
    assert.equal(loadConfig({ env: { HERALD_CONFIG: path } }).server.port, 9001);
    assert.equal(loadConfig({ env: { HERALD_NAMESPACES__CHAT__HISTORY_SIZE: '7' } }).namespaces.chat!.history_size, 7);
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['unknown top-level key', () => loadConfig({ env: {}, object: { sever: {} } }), /unknown key "sever" \(expected one of: server, log, engine/],
    ['unknown nested key', () => loadConfig({ env: {}, object: { limits: { send_buffer: 1 } } }), /unknown key "limits\.send_buffer" \(expected one of: max_body_bytes/],
    ['unknown namespace option', () => loadConfig({ env: {}, object: { namespaces: { chat: { histroy: 1 } } } }), /unknown key "namespaces\.chat\.histroy"/],
    ['wrong type', () => loadConfig({ env: {}, object: { server: { port: 'eighty' } } }), /server\.port must be integer \(got "eighty"\)/],
    ['out of range', () => loadConfig({ env: {}, object: { server: { port: 70000 } } }), /server\.port must be <= 65535 \(got 70000\)/],
    ['bad enum', () => loadConfig({ env: {}, object: { log: { level: 'loud' } } }), /log\.level must be equal to one of the allowed values \("fatal", "error", "warn", "info", "debug", "trace", "silent"\) \(got "loud"\)/],
    ['short api key', () => loadConfig({ env: {}, object: { auth: { api_keys: ['short'] } } }), /auth\.api_keys\.0 must NOT have fewer than 16 characters/],
    ['bad env value', () => loadConfig({ env: { HERALD_LIMITS__MAX_CONNECTIONS: 'lots' } }), /limits\.max_connections must be integer \(got "lots"\)/],
    ['bad override', () => loadConfig({ env: {}, overrides: ['nonsense'] }), /bad override "nonsense": expected key\.path=value/],
    ['missing file', () => loadConfig({ env: {}, file: '/nonexistent/herald.yaml' }), /cannot read config file \/nonexistent\/herald\.yaml: ENOENT/],
    ['invalid YAML', () => loadConfig({ env: {}, file: file('server:\n  port: [1,\n') }), /invalid YAML/],
    ['YAML that is not a mapping', () => loadConfig({ env: {}, file: file('- a\n- b\n') }), /top level must be a mapping/],
  ];
  for (const [name, run, message] of bad) {
    it(`rejects ${name} with one line naming the key`, () => {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});
