import type { Redis } from 'ioredis';
import type { SendBinding, SendKey } from '../ports/send-binding';
import type { BindOutcome, RoomSequences, SendBindings, SendTimings } from './engine';
import { RESEED_GAP, SEND_TIMING_DEFAULTS } from './engine';

// A binding is stored as `state|seq|id|createdAt|bodyHash`; state p = pending (an attempt
// is writing it, or its write failed with an uncertain outcome), s = stored.
// The value never holds the body: a retry answers from the stored row, so an edit or a
// delete made since the first attempt is never undone by a cached copy.

// KEYS: binding, counter, unsettled set, epoch. ARGV: now (ms), id, createdAt, bodyHash,
// binding TTL (s), unsettled-set idle TTL (ms), retry (1/0).
// The whole fast path in one round trip: the existing binding, or claim + INCR + mark the
// seq unsettled + store the binding. 'reseed' tells the caller the counter is gone.
const BIND = `
local b = redis.call('GET', KEYS[1])
if b then return {'existing', b} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'reseed', ''} end
if ARGV[7] == '1' then
  local quiet = redis.call('PTTL', KEYS[4])
  if quiet > 0 then return {'quiet', tostring(quiet)} end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], seq, seq .. ':' .. ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
local v = 'p|' .. seq .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4]
redis.call('SET', KEYS[1], v, 'EX', ARGV[5])
return {'new', v}`;

// KEYS: counter, epoch. ARGV: seed value, quiet period (ms).
// NX: when several nodes seed at once, the first one wins and the rest INCR it. The epoch
// key marks the re-seed for the quiet period (see BindOutcome 'reseeded-recently').
const RESEED = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
end
return 1`;

// KEYS: binding, unsettled set. ARGV: seq, stored value, binding TTL (s).
// Returns 1 when the seq had already been settled by someone else than a sibling attempt
// (the settle timeout passed): the message is late.
const MARK_STORED = `
local b = redis.call('GET', KEYS[1])
local wasStored = false
if not b then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
elseif string.sub(b, 3) == string.sub(ARGV[2], 3) then
  wasStored = string.sub(b, 1, 1) == 's'
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
local removed = redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
if removed == 0 and not wasStored then return 1 end
return 0`;

// KEYS: binding, unsettled set. ARGV: seq, expected binding value.
// Only our own pending binding is forgotten: a sibling attempt may have stored it meanwhile.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
return 1`;

// KEYS: binding, unsettled set. ARGV: our seq, decided value, binding TTL (s).
const ADOPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

// KEYS: counter, unsettled set. ARGV: now (ms), settle timeout (ms).
// Returns the highest seq at or below which every seq is settled, or -1 when unknown.
// A seq unsettled longer than the timeout is settled here: its node died mid-write or its
// write's outcome stayed uncertain; if it lands after all, it is a late message.
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

interface LedgerCommands {
  parleyBind(
    binding: string,
    counter: string,
    unsettled: string,
    epoch: string,
    ...argv: (string | number)[]
  ): Promise<[string, string]>;
  parleyReseed(counter: string, epoch: string, value: number, quietMs: number): Promise<number>;
  parleyMarkStored(
    binding: string,
    unsettled: string,
    seq: number,
    value: string,
    ttl: number,
  ): Promise<number>;
  parleyRelease(binding: string, unsettled: string, seq: number, value: string): Promise<number>;
  parleyAdopt(
    binding: string,
    unsettled: string,
    seq: number,
    value: string,
    ttl: number,
  ): Promise<number>;
  parleyStableSeq(
    counter: string,
    unsettled: string,
    now: number,
    maxAgeMs: number,
  ): Promise<number>;
}

export function encodeBinding(state: 'p' | 's', b: SendBinding): string {
  return `${state}|${b.seq}|${b.id}|${b.createdAt}|${b.bodyHash}`;
}

export function decodeBinding(value: string): { binding: SendBinding; stored: boolean } {
  const [state, seq, id, createdAt, hash] = value.split('|');
  return {
    binding: { seq: Number(seq), id: id ?? '', createdAt: createdAt ?? '', bodyHash: hash ?? '' },
    stored: state === 's',
  };
}

/**
 * Send bindings and per-room counters in Redis. Every step is one Lua call, so the send
 * hot path costs one round trip here. The hash tag keeps a room's keys in one Redis
 * Cluster slot, as a multi-key script requires.
 */
export function createRedisSendLedger(
  client: Redis,
  prefix: string,
  timings: SendTimings = SEND_TIMING_DEFAULTS,
): { sequences: RoomSequences; sendBindings: SendBindings } {
  client.defineCommand('parleyBind', { numberOfKeys: 4, lua: BIND });
  client.defineCommand('parleyReseed', { numberOfKeys: 2, lua: RESEED });
  client.defineCommand('parleyMarkStored', { numberOfKeys: 2, lua: MARK_STORED });
  client.defineCommand('parleyRelease', { numberOfKeys: 2, lua: RELEASE });
  client.defineCommand('parleyAdopt', { numberOfKeys: 2, lua: ADOPT });
  client.defineCommand('parleyStableSeq', { numberOfKeys: 2, lua: STABLE_SEQ });
  const redis = client as Redis & LedgerCommands;
  const room = (roomId: string) => ({
    counter: `${prefix}seq:{${roomId}}`,
    unsettled: `${prefix}seq-inflight:{${roomId}}`,
    epoch: `${prefix}seq-epoch:{${roomId}}`,
  });
  const bindingKey = (k: SendKey) => `${prefix}send:{${k.roomId}}:${k.senderId}:${k.clientMsgId}`;
  const ttl = timings.dedupeWindowSeconds;
  // The unsettled set of an idle room expires on its own; every entry is stale by then.
  const idleTtl = Math.max(timings.settleTimeoutMs * 4, 60_000);

  async function bindOnce(key: SendKey, proposal: Omit<SendBinding, 'seq'>, retry: boolean) {
    const keys = room(key.roomId);
    return redis.parleyBind(
      bindingKey(key),
      keys.counter,
      keys.unsettled,
      keys.epoch,
      Date.now(),
      proposal.id,
      proposal.createdAt,
      proposal.bodyHash,
      ttl,
      idleTtl,
      retry ? '1' : '0',
    );
  }

  const sendBindings: SendBindings = {
    async bind(key, proposal, retry, seed): Promise<BindOutcome> {
      let [state, value] = await bindOnce(key, proposal, retry);
      if (state === 'reseed') {
        const latest = await seed();
        const keys = room(key.roomId);
        await redis.parleyReseed(
          keys.counter,
          keys.epoch,
          latest === 0 ? 0 : latest + RESEED_GAP,
          // A room with nothing stored has no old batch that could still be replayed.
          latest === 0 ? 0 : timings.reseedQuietMs,
        );
        [state, value] = await bindOnce(key, proposal, retry);
      }
      if (state === 'quiet') return { state: 'reseeded-recently', retryAfterMs: Number(value) };
      if (state === 'reseed') throw new Error('sequence counter vanished while re-seeding');
      const decoded = decodeBinding(value);
      return state === 'new'
        ? { state: 'new', binding: decoded.binding }
        : { state: 'existing', ...decoded };
    },
    async markStored(key, binding) {
      const late = await redis.parleyMarkStored(
        bindingKey(key),
        room(key.roomId).unsettled,
        binding.seq,
        encodeBinding('s', binding),
        ttl,
      );
      return { late: late === 1 };
    },
    async release(key, binding) {
      await redis.parleyRelease(
        bindingKey(key),
        room(key.roomId).unsettled,
        binding.seq,
        encodeBinding('p', binding),
      );
    },
    async adopt(key, ours, decided, stored) {
      await redis.parleyAdopt(
        bindingKey(key),
        room(key.roomId).unsettled,
        ours.seq,
        encodeBinding(stored ? 's' : 'p', decided),
        ttl,
      );
    },
  };

  const sequences: RoomSequences = {
    async stableSeq(roomId) {
      const keys = room(roomId);
      const stable = await redis.parleyStableSeq(
        keys.counter,
        keys.unsettled,
        Date.now(),
        timings.settleTimeoutMs,
      );
      return stable === -1 ? undefined : stable;
    },
  };

  return { sequences, sendBindings };
}
