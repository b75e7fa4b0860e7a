import type { SequenceAllocator } from './engine';
import type { RedisClient } from './redis-client';
import { redisKeys } from './redis-keys';
import { IN_FLIGHT_SEQ_MAX_AGE_MS, RESEED_GAP } from './engine';

// KEYS: counter, in-flight set. ARGV: now (ms), in-flight set idle TTL (ms).
// -1 tells the caller the counter is gone and must be re-seeded from Cassandra.
// Every handed-out seq is recorded as in flight until its write settles (see stableSeq).
const NEXT_SEQ = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ':' .. ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq`;

// KEYS: counter, in-flight set. ARGV: now (ms), max age (ms) of an in-flight seq.
// Returns the highest seq at or below which every seq is settled, or -1 when unknown.
// A seq in flight longer than max age belongs to a node that died mid-write: it is a hole.
const STABLE_SEQ = `
local counter = redis.call('GET', KEYS[1])
if not counter then return -1 end
local lowest = nil
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local sep = string.find(member, ':')
  local seq = tonumber(string.sub(member, 1, sep - 1))
  local at = tonumber(string.sub(member, sep + 1))
  if tonumber(ARGV[1]) - at > tonumber(ARGV[2]) then
    redis.call('ZREM', KEYS[2], member)
  elseif lowest == nil or seq < lowest then
    lowest = seq
  end
end
if lowest == nil then return tonumber(counter) end
return lowest - 1`;

interface SequenceCommands {
  parleyNextSeq(counter: string, inFlight: string, now: number, idleTtlMs: number): Promise<number>;
  parleyStableSeq(
    counter: string,
    inFlight: string,
    now: number,
    maxAgeMs: number,
  ): Promise<number>;
}

/** Per-room counters in Redis (one round trip per seq), re-seeded from Cassandra when lost. */
export function createRedisSequences(
  client: RedisClient,
  prefix: string,
  maxInFlightAgeMs = IN_FLIGHT_SEQ_MAX_AGE_MS,
): SequenceAllocator {
  client.defineCommand('parleyNextSeq', { numberOfKeys: 2, lua: NEXT_SEQ });
  client.defineCommand('parleyStableSeq', { numberOfKeys: 2, lua: STABLE_SEQ });
  const redis = client as RedisClient & SequenceCommands;
  // Both keys carry the room's hash tag: one Redis Cluster slot, as Lua requires.
  const names = redisKeys(prefix);
  const keys = (roomId: string) => [names.seq(roomId), names.seqInFlight(roomId)] as const;
  const idleTtl = maxInFlightAgeMs * 4;

  return {
    async next(roomId, seed) {
      const [counter, inFlight] = keys(roomId);
      const next = await redis.parleyNextSeq(counter, inFlight, Date.now(), idleTtl);
      if (next !== -1) return next;
      const latest = await seed();
      // NX: when several nodes seed at once, the first one wins and the rest INCR it.
      await redis.set(counter, String(latest === 0 ? 0 : latest + RESEED_GAP), 'NX');
      return redis.parleyNextSeq(counter, inFlight, Date.now(), idleTtl);
    },
    async settle(roomId, seq) {
      const [, inFlight] = keys(roomId);
      await redis.zremrangebyscore(inFlight, seq, seq);
    },
    async stableSeq(roomId) {
      const [counter, inFlight] = keys(roomId);
      const stable = await redis.parleyStableSeq(counter, inFlight, Date.now(), maxInFlightAgeMs);
      return stable === -1 ? undefined : stable;
    },
  };
}
