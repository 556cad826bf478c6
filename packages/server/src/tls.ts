/**
 * @module tls
 * TLS served by Herald itself (`server.tls`): HTTPS and WSS on the one port. Files are read once
 * at start; a missing or unreadable file is a configuration error (exit 2) naming the key, not a crash later.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config/load.js';
import type { HeraldConfig } from './config/schema.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Undefined when TLS is off (neither file set). */
export function loadTls(tls: HeraldConfig['server']['tls']): TlsFiles | undefined {
  if (!tls.cert_file && !tls.key_file) return undefined;
  if (!tls.cert_file || !tls.key_file) throw new ConfigError('config: server.tls needs both cert_file and key_file (or neither, for plain HTTP)');
  return { cert: read(tls.cert_file, 'server.tls.cert_file'), key: read(tls.key_file, 'server.tls.key_file') };
}

function read(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`config: ${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
