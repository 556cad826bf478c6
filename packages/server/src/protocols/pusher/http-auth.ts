/**
 * @module protocols/pusher/http-auth
 * Checks a Pusher HTTP API request: the app, its key, the timestamp within ±600 s (soketi and
 * Reverb skip this, so a captured request works forever), `body_md5` recomputed from the raw
 * body, the signature compared in constant time, and, for apps that opt in, that a signed POST is
 * used once (shared through the engine's replay cache).
 *
 * Replay protection is opt-in because the Pusher SDKs send no nonce: a signature covers method,
 * path, key, timestamp (seconds) and body, so two identical triggers within one second are the
 * same bytes and the second is refused. GETs are never refused as replays (polling repeats them).
 */
import { ErrorCode } from '@herald/protocol';
import type { ReplayCache } from '../../auth/replay-cache.js';
import { HeraldError } from '../../errors.js';
import type { PusherApp, PusherApps } from './apps.js';
import { hmacHex, md5Hex, queryParams, requestSigningText, safeEqual } from './signature.js';

/** How far `auth_timestamp` may be from the server's clock, as Pusher documents. */
export const TIMESTAMP_WINDOW_SECONDS = 600;

export interface SignedRequest {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  appId: string;
  body: Buffer;
}

const unauthorized = (message: string) => new HeraldError(ErrorCode.Unauthorized, message);

export async function checkRequest(apps: PusherApps, replay: ReplayCache, req: SignedRequest, now = Date.now()): Promise<PusherApp> {
  const app = apps.byId(req.appId);
  if (!app) throw new HeraldError(ErrorCode.NotFound, `unknown app "${req.appId}"`);
  if (!app.enabled) throw new HeraldError(ErrorCode.Forbidden, 'app is disabled');
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const params = queryParams(q === -1 ? '' : req.url.slice(q + 1));
  const signature = params.get('auth_signature') ?? '';
  const key = params.get('auth_key') ?? '';
  if (!safeEqual(key, app.key)) throw unauthorized('auth_key does not match the app');
  const timestamp = Number(params.get('auth_timestamp'));
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    throw unauthorized(`auth_timestamp is missing or more than ${TIMESTAMP_WINDOW_SECONDS} s from the server's clock`);
  }
  if (req.body.length > 0 || params.has('body_md5')) {
    // Recomputed: a body_md5 taken from the query on trust would let the body be swapped.
    if (!safeEqual(params.get('body_md5') ?? '', md5Hex(req.body))) throw unauthorized('body_md5 does not match the body');
  }
  const expected = hmacHex(app.secret, requestSigningText(req.method, path, params));
  // SDKs sign the path unescaped; a client library may have escaped it on the wire.
  let decodedPath = path;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    // keep it as sent
  }
  const ok = safeEqual(signature, expected) || (decodedPath !== path && safeEqual(signature, hmacHex(app.secret, requestSigningText(req.method, decodedPath, params))));
  if (!ok) throw unauthorized('invalid auth_signature');
  if (app.replay_protection && req.method === 'POST') {
    const fresh = await replay.claim(`pusher\u0000${app.id}\u0000${signature}`, 2 * TIMESTAMP_WINDOW_SECONDS * 1000);
    if (!fresh) throw unauthorized('this signed request was already used (replay protection is on for this app)');
  }
  return app;
}
