/**
 * Cluster-wide presence: which nodes are alive and which users have a socket on them.
 *
 * Model: every node holds a heartbeat *deadline*; a user is online iff at least one node
 * that lists them is alive (deadline not passed). A node that dies without cleaning up
 * (SIGKILL, OOM, network partition) stops counting the moment its deadline passes, with no
 * write from anyone; a sweeper later removes its entries and announces who went offline.
 *
 * Entries are per (user, node), not per socket: the node itself counts its sockets, so a
 * second tab on the same node costs no registry write at all, and every write is an
 * absolute, idempotent statement ("user U is / is not on node N") that a node can replay
 * after Redis lost its keys.
 */
export interface PresenceRegistry {
  /**
   * Keeps `nodeId` alive for `lifetimeMs`. 'rejoined' when the node had been missing or
   * already expired (Redis restarted, or the node stalled and was swept): the caller must
   * then re-register its users with `restore`.
   */
  heartbeat(nodeId: string, lifetimeMs: number): Promise<'alive' | 'rejoined'>;
  /** The user has a socket on the node (`present`) or no longer has one. */
  setPresent(nodeId: string, userId: string, present: boolean): Promise<PresenceTransition>;
  /** Re-registers the node's users in bulk, silently (no transitions are reported). */
  restore(nodeId: string, lifetimeMs: number, userIds: string[]): Promise<void>;
  /** Online status of each id, in order. */
  areOnline(userIds: string[]): Promise<boolean[]>;
  /**
   * Graceful exit. With other live nodes, the node's entries stay valid `handoverMs` longer
   * (users reconnecting elsewhere meanwhile never look offline) and a sweeper removes them;
   * alone, the node is marked dead at once so the caller sweeps itself.
   */
  retire(nodeId: string, handoverMs: number): Promise<'handed-over' | 'alone'>;
  /** Cluster-wide mutual exclusion for sweeps, held until it expires. */
  tryLockSweep(holder: string, ttlMs: number): Promise<boolean>;
  /** Nodes whose deadline has passed, with their last heartbeat time. */
  deadNodes(): Promise<DeadNode[]>;
  /**
   * Removes up to `batch` of a dead node's users; returns those now offline. `done` once the
   * node is gone; stops early (done, nothing removed) if the node came back to life.
   */
  sweepNode(nodeId: string, batch: number): Promise<{ offline: string[]; done: boolean }>;
  /** Called when the store may have lost data (the Redis connection was re-established). */
  onReset(listener: () => void): () => void;
}

export interface PresenceTransition {
  /** Online cluster-wide just before the write. */
  wasOnline: boolean;
  /** Online cluster-wide just after the write. */
  isOnline: boolean;
  /** False when the registry no longer knows this node as alive: re-register everything. */
  nodeAlive: boolean;
}

export interface DeadNode {
  nodeId: string;
  lastBeatAt: Date;
}

/**
 * Timings derived from PRESENCE_TTL_SECONDS (T). A node beats every T/4 and each beat keeps
 * it alive for 3T/4, so it survives two missed beats (an event-loop stall of T/2). Sweeps run
 * every T/8. A killed node's last beat was at most "now", so its users are announced offline
 * at most 3T/4 + T/8 = 7T/8 after the kill, plus the sweep's own work: within T.
 */
export function presenceTimings(ttlSeconds: number) {
  const ttlMs = ttlSeconds * 1000;
  return {
    heartbeatEveryMs: Math.max(50, Math.floor(ttlMs / 4)),
    lifetimeMs: Math.floor((ttlMs * 3) / 4),
    sweepEveryMs: Math.max(25, Math.floor(ttlMs / 8)),
  };
}

/** Users removed per sweep step: bounds one Lua call's run time on Redis. */
export const SWEEP_BATCH = 500;
/** Keys per status script call; a room query pipelines several calls in one round trip. */
export const QUERY_CHUNK = 500;
