import type { DeadNode, PresenceRegistry, PresenceTransition } from './presence-registry';

/**
 * The embedded engine's registry: the same model as Redis (node deadlines, per-node user
 * entries, sweeps), in memory. One process normally runs one node here, but the model is
 * kept whole so unit tests can exercise several nodes, expiry and sweeps with a fake clock.
 */
export function createMemoryPresence(now: () => number = Date.now): PresenceRegistry {
  const nodes = new Map<string, { deadline: number; lastBeat: number }>();
  const users = new Map<string, Set<string>>(); // userId → nodeIds
  const nodeUsers = new Map<string, Set<string>>(); // nodeId → userIds
  let lock: { holder: string; until: number } | undefined;

  const alive = (nodeId: string, at: number) => (nodes.get(nodeId)?.deadline ?? -1) >= at;
  const online = (userId: string, at: number) =>
    [...(users.get(userId) ?? [])].some((n) => alive(n, at));

  function put(nodeId: string, userId: string) {
    getOrCreate(users, userId).add(nodeId);
    getOrCreate(nodeUsers, nodeId).add(userId);
  }
  function drop(nodeId: string, userId: string) {
    const set = users.get(userId);
    set?.delete(nodeId);
    if (set?.size === 0) users.delete(userId);
    nodeUsers.get(nodeId)?.delete(userId);
  }
  function beat(nodeId: string, lifetimeMs: number) {
    const at = now();
    const wasAlive = alive(nodeId, at);
    nodes.set(nodeId, { deadline: at + lifetimeMs, lastBeat: at });
    return wasAlive;
  }

  return {
    async heartbeat(nodeId, lifetimeMs) {
      return beat(nodeId, lifetimeMs) ? 'alive' : 'rejoined';
    },
    async setPresent(nodeId, userId, present): Promise<PresenceTransition> {
      const at = now();
      const wasOnline = online(userId, at);
      if (present) put(nodeId, userId);
      else drop(nodeId, userId);
      return { wasOnline, isOnline: online(userId, at), nodeAlive: alive(nodeId, at) };
    },
    async restore(nodeId, lifetimeMs, userIds) {
      beat(nodeId, lifetimeMs);
      for (const userId of userIds) put(nodeId, userId);
    },
    async areOnline(userIds) {
      const at = now();
      return userIds.map((id) => online(id, at));
    },
    async retire(nodeId, handoverMs) {
      const at = now();
      const others = [...nodes.keys()].some((n) => n !== nodeId && alive(n, at));
      nodes.set(nodeId, { deadline: others ? at + handoverMs : 0, lastBeat: at });
      return others ? 'handed-over' : 'alone';
    },
    async tryLockSweep(holder, ttlMs) {
      const at = now();
      if (lock && lock.until > at) return false;
      lock = { holder, until: at + ttlMs };
      return true;
    },
    async deadNodes(): Promise<DeadNode[]> {
      const at = now();
      return [...nodes]
        .filter(([, n]) => n.deadline < at)
        .map(([nodeId, n]) => ({ nodeId, lastBeatAt: new Date(n.lastBeat) }));
    },
    async sweepNode(nodeId, batch) {
      const at = now();
      if (!nodes.has(nodeId) || alive(nodeId, at)) return { offline: [], done: true };
      const members = nodeUsers.get(nodeId) ?? new Set<string>();
      const taken = [...members].slice(0, batch);
      const offline: string[] = [];
      for (const userId of taken) {
        drop(nodeId, userId);
        if (!online(userId, at)) offline.push(userId);
      }
      if (members.size === 0) {
        nodes.delete(nodeId);
        nodeUsers.delete(nodeId);
        return { offline, done: true };
      }
      return { offline, done: false };
    },
    onReset: () => () => undefined,
  };
}

function getOrCreate<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}
