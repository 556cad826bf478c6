/**
 * @module hooks/backend
 * BackendHooks over HTTP: builds each hook's request body, calls it through the HookClient and
 * checks the shape of what the backend answered (a bad field is a failed call, `unavailable`,
 * never a half-applied answer). Request and answer shapes: docs/hooks.md.
 */
import { ErrorCode } from '@herald/protocol';
import type { HooksConfig } from '../config/schema.js';
import { HeraldError } from '../errors.js';
import { toRawJson } from '../json/raw.js';
import { isObject, type HookClient } from './client.js';
import type { BackendHooks, ConnectResult, HookName, MemberInfo, RefreshResult } from './hooks.js';

const invalid = (hook: HookName, why: string) => new HeraldError(ErrorCode.Unavailable, `the backend's ${hook} hook gave an invalid answer (${why})`);

/** A member info: a JSON object of at most `maxBytes` once serialised; throws `payload_too_large`. */
export function checkInfo(info: unknown, maxBytes: number, what: string): MemberInfo {
  if (!isObject(info)) throw new HeraldError(ErrorCode.BadRequest, `${what} must be a JSON object`);
  const size = Buffer.byteLength(JSON.stringify(info));
  if (size > maxBytes) throw new HeraldError(ErrorCode.PayloadTooLarge, `${what} is ${size} bytes, above presence.max_info_bytes (${maxBytes})`);
  return info;
}

export function createBackendHooks(config: HooksConfig, client: HookClient, maxInfoBytes: number): BackendHooks {
  const info = (hook: HookName, value: unknown): MemberInfo | undefined => {
    if (value === undefined) return undefined;
    try {
      return checkInfo(value, maxInfoBytes, '"info"');
    } catch (err) {
      throw invalid(hook, (err as Error).message);
    }
  };
  const expires = (hook: HookName, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(hook, '"expires" must be unix seconds');
    return value;
  };
  const hooks: BackendHooks = {};

  if (config.connect_url) {
    hooks.connect = async (request) => {
      const result = await client.call('connect', config.connect_url, JSON.stringify(request));
      const user = result.user ?? '';
      if (typeof user !== 'string' && typeof user !== 'number') throw invalid('connect', '"user" must be a string');
      const out: ConnectResult = { user: String(user) };
      const i = info('connect', result.info);
      if (i) out.info = i;
      const e = expires('connect', result.expires);
      if (e !== undefined) out.expires = e;
      if (result.channels !== undefined) {
        if (!Array.isArray(result.channels) || !result.channels.every((c) => typeof c === 'string')) throw invalid('connect', '"channels" must be a list of channel names');
        out.channels = result.channels as string[];
      }
      if (result.data !== undefined) out.data = result.data;
      return out;
    };
  }
  if (config.refresh_url) {
    hooks.refresh = async (caller) => {
      const result = await client.call('refresh', config.refresh_url, JSON.stringify(caller));
      const out: RefreshResult = {};
      if (result.expired === true) return { expired: true };
      const e = expires('refresh', result.expires);
      if (e === undefined) throw invalid('refresh', 'needs "expires" (unix seconds) or "expired": true');
      out.expires = e;
      const i = info('refresh', result.info);
      if (i) out.info = i;
      return out;
    };
  }
  hooks.subscribe = async (url, caller, channel) => {
    const result = await client.call('subscribe', url, JSON.stringify({ ...caller, channel }));
    const i = info('subscribe', result.info);
    return i ? { info: i } : {};
  };
  hooks.publish = async (url, caller, channel, event, data) => {
    // The client's data is spliced in as it sent it (json/raw), like every publication.
    const head = JSON.stringify({ ...caller, channel, ...(event === undefined ? {} : { event }) });
    const result = await client.call('publish', url, `${head.slice(0, -1)},"data":${data}}`);
    return 'data' in result ? { data: toRawJson(result.data) } : {};
  };
  if (config.rpc_url) {
    hooks.rpc = async (caller, method, data) => {
      const head = JSON.stringify({ ...caller, method });
      const result = await client.call('rpc', config.rpc_url, data === undefined ? head : `${head.slice(0, -1)},"data":${data}}`);
      return 'data' in result ? { data: result.data } : {};
    };
  }
  return hooks;
}
