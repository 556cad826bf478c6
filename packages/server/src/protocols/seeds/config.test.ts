/**
 * The compatibility modes' configuration: off by default, the seeds' own env vars honoured, and
 * clear refusals of what cannot work.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../config/load.js';
import { createHerald } from '../../server.js';

const silent = { logger: pino({ level: 'silent' }) };

describe('compat configuration', () => {
  it('is off by default and switched on per seed', () => {
    const config = loadConfig({ env: {} });
    assert.deepEqual([config.compat.seed000.enabled, config.compat.seed001.enabled, config.compat.seed002.enabled], [false, false, false]);
    const on = loadConfig({ env: { HERALD_COMPAT__SEED002__ENABLED: 'true' } });
    assert.equal(on.compat.seed002.enabled, true);
  });

  it("honours the seeds' env vars", () => {
    const config = loadConfig({
      env: { PRESENCE_TTL_SECONDS: '10', CONFIG_FOLDER_PATH: '/etc/seed/config.yaml', JWT_SECRET: 'x'.repeat(16), TIME_TOKEN_SECRET: 'y'.repeat(16), TIME_WINDOW_SECONDS: '3600', ALLOWED_CLOCK_SKEW: '2' },
    });
    assert.equal(config.presence.ttl_seconds, 10);
    assert.equal(config.presence.refresh_seconds, 2.5, 'refreshed well within the TTL unless set');
    assert.equal(config.compat.seed001.config_file, '/etc/seed/config.yaml');
    assert.deepEqual([config.auth.jwt.secrets, config.auth.time_token.secrets], [['x'.repeat(16)], ['y'.repeat(16)]]);
    assert.deepEqual([config.auth.time_token.window_seconds, config.auth.time_token.skew_windows], [3600, 2]);
    const both = loadConfig({ env: { PRESENCE_TTL_SECONDS: '10', HERALD_PRESENCE__REFRESH_SECONDS: '1' } });
    assert.equal(both.presence.refresh_seconds, 1);
  });

  it('refuses seed 000 without client auth, and a bad seed 001 YAML file, with one clear line', () => {
    assert.throws(() => createHerald(loadConfig({ env: { HERALD_COMPAT__SEED000__ENABLED: 'true' } }), silent), (err: unknown) => err instanceof ConfigError && /compat\.seed000 needs client auth/.test(err.message));
    const dir = mkdtempSync(join(tmpdir(), 'herald-seed001-config-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'server: {}\nchannels:\n  chat: { id: "a", type: "TCP", max_of_channel_connections: 1 }\n');
      assert.throws(() => createHerald(loadConfig({ env: { HERALD_COMPAT__SEED001__ENABLED: 'true', CONFIG_FOLDER_PATH: file } }), silent), (err: unknown) => err instanceof ConfigError && /channel "chat" needs an id, type WS or SSE/.test(err.message));
      assert.throws(() => createHerald(loadConfig({ env: { HERALD_COMPAT__SEED001__ENABLED: 'true', CONFIG_FOLDER_PATH: join(dir, 'missing.yaml') } }), silent), ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
