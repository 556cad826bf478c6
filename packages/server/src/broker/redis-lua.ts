/**
 * @module broker/redis-lua
 * The Redis engine's publish, history, event and counter scripts, kept apart from the TypeScript
 * that calls them, and how scripts are registered on a connection (the presence scripts live with
 * the presence store, presence/redis.ts). Redis runs a
 * script as one atomic step, which is what the broker contract asks for: offset, append and
 * publish happen together or not at all, whichever node calls them. Key layout: docs/engines.md.
 *
 * Times come from Redis (`TIME`), never from a node, so nodes with skewed clocks agree on expiry.
 */
import type { RedisConnection } from './redis-connection.js';

/** Lua that sets `now` to Redis's clock in milliseconds (effects replication, for scripts that write after reading it). */
export const NOW_MS = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: 1 meta hash (`e` epoch, `o` top offset), 2 history stream (entry id `<offset>-0`,
 * fields `t` ms time, `b` body).
 * ARGV: 1 pub/sub channel, 2 body, 3 history size, 4 history TTL ms, 5 meta TTL ms,
 * 6 epoch to use if the stream is new (or was lost).
 * Returns `{offset, epoch}`; publishes `<offset>:<epoch>:<body>`.
 */
export const PUBLISH = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  -- A new stream, or its meta expired or was evicted: start a new epoch and forget stale entries.
  epoch = ARGV[6]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if tonumber(ARGV[3]) > 0 then
  local now = redis.call('TIME')
  local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], string.format('%d-0', offset), 't', ms, 'b', ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
redis.call('PUBLISH', ARGV[1], string.format('%d', offset) .. ':' .. epoch .. ':' .. ARGV[2])
return {offset, epoch}
`;

/**
 * PUBLISH under an idempotency key. KEYS: 1, 2 as PUBLISH, 3 the key's store entry
 * (`d:<answer JSON>` once answered, see broker/idempotency-store.ts). ARGV: 1-6 as PUBLISH, 7 the channel
 * as a JSON string, 8 the answer's TTL ms. Returns `{offset, epoch}`, or `{-1, <entry>}` without
 * publishing when the key was answered already.
 */
/**
 * KEYS: 1 idempotency entry. Clears a claim, never an answer: a publish whose reply was lost (an
 * engine timeout) may have recorded its answer already, and clearing that would publish it twice.
 */
export const RELEASE_CLAIM = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 2) ~= 'd:' then redis.call('DEL', KEYS[1]) end
`;

export const PUBLISH_ONCE = `
local done = redis.call('GET', KEYS[3])
if done and string.sub(done, 1, 2) == 'd:' then return {-1, done} end
${PUBLISH.replace(
  'return {offset, epoch}',
  `redis.call('SET', KEYS[3], 'd:{"channel":' .. ARGV[7] .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}', 'PX', ARGV[8])
return {offset, epoch}`,
)}`;

/**
 * KEYS: 1 meta hash, 2 history stream.
 * ARGV: 1 since offset ('' = the latest entries), 2 limit, 3 history TTL ms, 4 '1' to create the
 * stream if missing, 5 epoch for a created stream, 6 meta TTL ms.
 * Returns `{top offset, epoch, {id, body, id, body, …}}` with expired entries left out; epoch ''
 * when the stream does not exist and was not created.
 */
export const HISTORY = `
local meta = redis.call('HMGET', KEYS[1], 'e', 'o')
local epoch, top = meta[1], meta[2]
if not epoch then
  if ARGV[4] ~= '1' then return {0, '', {}} end
  epoch, top = ARGV[5], 0
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
local limit = tonumber(ARGV[2])
local entries = {}
if limit > 0 then
  if ARGV[1] == '' then
    entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', limit)
  else
    entries = redis.call('XRANGE', KEYS[2], string.format('%d-0', tonumber(ARGV[1]) + 1), '+', 'COUNT', limit)
  end
end
${NOW_MS}
local cutoff = now - tonumber(ARGV[3])
local out = {}
for _, entry in ipairs(entries) do
  local fields = entry[2]
  if tonumber(fields[2]) > cutoff then
    out[#out + 1] = entry[1]
    out[#out + 1] = fields[4]
  end
end
return {tonumber(top), epoch, out}
`;

/** KEYS: 1 counter. ARGV: 1 window ms. Counts one more; the first count of a window sets its expiry. */
export const COUNT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/**
 * KEYS: 1 the channel's meta hash, not touched: naming it runs the script on the channel's node
 * of a Redis Cluster, the node its publications come from, so a subscriber gets a channel's
 * events and publications in the order they were sent (a PUBLISH sent to any other node would
 * reach it over another link).
 * ARGV: 1 pub/sub channel, 2 message.
 */
export const EVENT = `
redis.call('PUBLISH', ARGV[1], ARGV[2])
`;

export type Script = (...args: Array<string | number>) => Promise<unknown>;

export function defineScript(redis: RedisConnection, name: string, lua: string, numberOfKeys = 2): Script {
  // defineCommand runs EVALSHA and falls back to EVAL when Redis lost its script cache (restart).
  // On a Cluster, the first key's slot picks the node.
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, Script>)[name]!;
  return (...args) => command.apply(redis, args);
}

/**
 * KEYS: 1 bucket hash (`t` tokens, `a` ms time). ARGV: 1 rate per second, 2 idle ms after which
 * it is dropped (it is full again by then). Takes one token; 1 if there was one, else 0.
 */
export const TAKE = `${NOW_MS}
local rate = tonumber(ARGV[1])
local b = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = rate
if b[1] then tokens = math.min(rate, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * rate / 1000) end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return taken
`;
