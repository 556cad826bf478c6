/**
 * @module cli/banner
 * What `herald serve` prints on stderr once the node listens, when it runs on dev defaults: where
 * it is (with the scheme it really speaks), the dev secret, what dev mode accepts, and the exact
 * commands to try next, copy-pasteable for this address.
 */
import type { HeraldConfig } from '../config/schema.js';

export interface BannerFacts {
  host: string;
  port: number;
  /** Generated for this run when no publisher credential is configured. */
  devSecret: string | undefined;
  /** server.accept_any_namespace: on without a config file. */
  anyNamespace: boolean;
  tls: boolean;
}

/** TLS is on when both files are named (tls.ts refuses one without the other before we get here). */
export function servesTls(config: HeraldConfig): boolean {
  return Boolean(config.server.tls.cert_file && config.server.tls.key_file);
}

/** Empty when there is nothing to tell (a configured node logs its address in the JSON log). */
export function banner({ host, port, devSecret, anyNamespace, tls }: BannerFacts): string {
  if (!devSecret && !anyNamespace) return '';
  const [http, ws] = tls ? ['https', 'wss'] : ['http', 'ws'];
  const base = `${http}://${host}:${port}`;
  const wsUrl = `${ws}://${host}:${port}/ws`;
  // The CLI's defaults point at 127.0.0.1:8080; elsewhere the commands name the address.
  const isDefault = !tls && host === '127.0.0.1' && port === 8080;
  const lines = [``, `Herald is running on ${base} (WebSocket: ${wsUrl})`];
  if (devSecret) {
    lines.push(`Dev secret (this run only; valid as API key, signing key "default" and time-token secret; configure auth for your own):`, `  ${devSecret}`);
  }
  if (anyNamespace) {
    lines.push(`Dev mode: channels in any namespace are accepted (orders:42, chat:room1, …; server.accept_any_namespace, on without a config file); \`npx herald init\` writes a production herald.yaml.`);
  }
  // The commands use orders:42, which only dev mode is sure to accept.
  if (devSecret && anyNamespace) {
    lines.push(
      `Next, in another terminal:`,
      `  export HERALD_SECRET=${devSecret}`,
      `  npx herald subscribe orders:42${isDefault ? '' : ` --url ${wsUrl}`}`,
      `and in a third:`,
      `  curl -H "Authorization: Bearer $HERALD_SECRET" -H 'Content-Type: application/json' \\`,
      `       -d '{"channel":"orders:42","event":"updated","data":{"status":"shipped"}}' ${base}/api/publish`,
    );
  }
  return `${lines.join('\n')}\n\n`;
}
