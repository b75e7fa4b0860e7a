import type { RedisClient } from '../cluster/redis-client';
import { redisKeys } from '../cluster/redis-keys';
import type { Logger } from '../observability/logger';
import {
  QUERY_CHUNK,
  type DeadNode,
  type PresenceRegistry,
  type PresenceTransition,
} from './presence-registry';

/*
 * Keys (prefix P, hash tag T = {P presence}; see cluster/redis-keys.ts):
 *   P presence:T:nodes              zset  nodeId → deadline (ms, Redis clock)
 *   P presence:T:beats              hash  nodeId → last heartbeat (ms), for last-seen of swept users
 *   P presence:T:user:<userId>      hash  nodeId → since (ms): the nodes the user has sockets on
 *   P presence:T:node-users:<node>  set   userIds on the node: what a sweep must visit
 *   P presence:T:sweep-lock         string, SET NX PX
 * One hash tag for all of them: the scripts and pipelines read the live-node set together
 * with many user hashes, so on Redis Cluster they must all live in one slot.
 * Every script reads the time from Redis (TIME), so node clocks never disagree about who
 * is alive. Every script declares its keys.
 */
const LIB = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function alive(nodes, node, now)
  local d = redis.call('ZSCORE', nodes, node)
  return d ~= false and d ~= nil and tonumber(d) >= now
end
local function online(user, nodes, now)
  for _, n in ipairs(redis.call('HKEYS', user)) do
    if alive(nodes, n, now) then return 1 end
  end
  return 0
end
`;

// KEYS: nodes, user hash, node-users set. ARGV: nodeId, userId, '1'|'0', since.
const SET_PRESENT = `${LIB}
local now = now_ms()
local before = online(KEYS[2], KEYS[1], now)
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('SADD', KEYS[3], ARGV[2])
else
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[2])
end
return { before, online(KEYS[2], KEYS[1], now), alive(KEYS[1], ARGV[1], now) and 1 or 0 }`;

// KEYS: nodes, beats. ARGV: nodeId, lifetimeMs. 1 = was alive, 0 = (re)joined.
const HEARTBEAT = `${LIB}
local now = now_ms()
local was = alive(KEYS[1], ARGV[1], now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now)
return was and 1 or 0`;

// KEYS: nodes, beats. ARGV: nodeId, handoverMs. 1 = other live nodes exist.
const RETIRE = `${LIB}
local now = now_ms()
local others = redis.call('ZCOUNT', KEYS[1], now, '+inf')
if alive(KEYS[1], ARGV[1], now) then others = others - 1 end
redis.call('HSET', KEYS[2], ARGV[1], now)
if others > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return 0`;

// KEYS: nodes, beats. Returns flat [nodeId, lastBeat, ...] of expired nodes.
const DEAD_NODES = `${LIB}
local now = now_ms()
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 100)) do
  table.insert(out, n)
  table.insert(out, redis.call('HGET', KEYS[2], n) or '0')
end
return out`;

// KEYS: nodes, node-users set, beats. ARGV: nodeId, batch.
// nil = node alive again (stop); otherwise [done, userIds...].
const SWEEP_POP = `${LIB}
local now = now_ms()
if alive(KEYS[1], ARGV[1], now) then return false end
local users = redis.call('SPOP', KEYS[2], tonumber(ARGV[2]))
local done = 0
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  done = 1
end
table.insert(users, 1, done)
return users`;

// KEYS: nodes, user hashes... ARGV: nodeId, userIds... Returns the users now offline.
// Refuses if the node came back: it re-registers its own users, which we must not undo.
const SWEEP_DROP = `${LIB}
local now = now_ms()
if alive(KEYS[1], ARGV[1], now) then return {} end
local gone = {}
for i = 2, #KEYS do
  redis.call('HDEL', KEYS[i], ARGV[1])
  if online(KEYS[i], KEYS[1], now) == 0 then table.insert(gone, ARGV[i]) end
end
return gone`;

// KEYS: nodes, user hashes... Returns 0/1 per user.
const ARE_ONLINE = `${LIB}
local now = now_ms()
local out = {}
for i = 2, #KEYS do out[i - 1] = online(KEYS[i], KEYS[1], now) end
return out`;

interface PresenceCommands {
  parleyPresenceSet(...args: string[]): Promise<[number, number, number]>;
  parleyPresenceBeat(...args: string[]): Promise<number>;
  parleyPresenceRetire(...args: string[]): Promise<number>;
  parleyPresenceDead(...args: string[]): Promise<string[]>;
  parleyPresenceSweepPop(...args: (string | number)[]): Promise<(number | string)[] | null>;
  parleyPresenceSweepDrop(numKeys: number, ...args: string[]): Promise<string[]>;
  parleyPresenceOnline(numKeys: number, ...args: string[]): Promise<number[]>;
}

/** The cluster registry. Each operation is one round trip (a Lua script or a pipeline). */
export function createRedisPresence(
  client: RedisClient,
  prefix: string,
  logger: Logger,
): PresenceRegistry {
  const redis = client as RedisClient & PresenceCommands;
  const scripts: [keyof PresenceCommands, string, number | undefined][] = [
    ['parleyPresenceSet', SET_PRESENT, 3],
    ['parleyPresenceBeat', HEARTBEAT, 2],
    ['parleyPresenceRetire', RETIRE, 2],
    ['parleyPresenceDead', DEAD_NODES, 2],
    ['parleyPresenceSweepPop', SWEEP_POP, 3],
    // Variable key counts: the caller passes numKeys first.
    ['parleyPresenceSweepDrop', SWEEP_DROP, undefined],
    ['parleyPresenceOnline', ARE_ONLINE, undefined],
  ];
  for (const [name, lua, numberOfKeys] of scripts) {
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  }
  const keys = redisKeys(prefix);
  const nodesKey = keys.presenceNodes;
  const beatsKey = keys.presenceBeats;
  const lockKey = keys.presenceSweepLock;
  const userKey = keys.presenceUser;
  const nodeUsersKey = keys.presenceNodeUsers;

  const listeners = new Set<() => void>();
  let lost = false;
  redis.on('close', () => {
    lost = true;
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    logger.info('redis connection restored: re-registering presence');
    for (const listener of listeners) listener();
  });

  return {
    async heartbeat(nodeId, lifetimeMs) {
      const was = await redis.parleyPresenceBeat(nodesKey, beatsKey, nodeId, String(lifetimeMs));
      return was === 1 ? 'alive' : 'rejoined';
    },
    async setPresent(nodeId, userId, present): Promise<PresenceTransition> {
      const [before, after, nodeAlive] = await redis.parleyPresenceSet(
        nodesKey,
        userKey(userId),
        nodeUsersKey(nodeId),
        nodeId,
        userId,
        present ? '1' : '0',
        String(Date.now()),
      );
      return { wasOnline: before === 1, isOnline: after === 1, nodeAlive: nodeAlive === 1 };
    },
    async restore(nodeId, lifetimeMs, userIds) {
      // One round trip: the heartbeat first, so the entries count at once.
      const pipeline = redis.pipeline() as unknown as PresenceCommands &
        ReturnType<RedisClient['pipeline']>;
      pipeline.parleyPresenceBeat(nodesKey, beatsKey, nodeId, String(lifetimeMs));
      const since = String(Date.now());
      for (const userId of userIds) pipeline.hset(userKey(userId), nodeId, since);
      for (let i = 0; i < userIds.length; i += QUERY_CHUNK) {
        pipeline.sadd(nodeUsersKey(nodeId), ...userIds.slice(i, i + QUERY_CHUNK));
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    },
    async areOnline(userIds) {
      if (userIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (let i = 0; i < userIds.length; i += QUERY_CHUNK) {
        const chunk = userIds.slice(i, i + QUERY_CHUNK);
        const keys = [nodesKey, ...chunk.map(userKey)];
        (pipeline as unknown as PresenceCommands).parleyPresenceOnline(keys.length, ...keys);
      }
      const results = (await pipeline.exec()) ?? [];
      return results.flatMap(([err, value]) => {
        if (err) throw err;
        return (value as number[]).map((v) => v === 1);
      });
    },
    async retire(nodeId, handoverMs) {
      const others = await redis.parleyPresenceRetire(
        nodesKey,
        beatsKey,
        nodeId,
        String(handoverMs),
      );
      return others === 1 ? 'handed-over' : 'alone';
    },
    async tryLockSweep(holder, ttlMs) {
      return (await redis.set(lockKey, holder, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async deadNodes(): Promise<DeadNode[]> {
      const flat = await redis.parleyPresenceDead(nodesKey, beatsKey);
      const dead: DeadNode[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        dead.push({ nodeId: flat[i]!, lastBeatAt: new Date(Number(flat[i + 1])) });
      }
      return dead;
    },
    async sweepNode(nodeId, batch) {
      const popped = await redis.parleyPresenceSweepPop(
        nodesKey,
        nodeUsersKey(nodeId),
        beatsKey,
        nodeId,
        batch,
      );
      if (popped === null) return { offline: [], done: true };
      const [done, ...userIds] = popped as [number, ...string[]];
      if (userIds.length === 0) return { offline: [], done: done === 1 };
      const keys = [nodesKey, ...userIds.map(userKey)];
      const offline = await redis.parleyPresenceSweepDrop(keys.length, ...keys, nodeId, ...userIds);
      return { offline, done: done === 1 };
    },
    onReset(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
