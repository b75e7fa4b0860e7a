/**
 * Every Redis key Parley uses, named in one place so Redis Cluster can run the scripts.
 *
 * Redis Cluster hashes only the part of a key between the first `{` and the next `}`
 * (the hash tag) when one is present. A Lua script or a MULTI/pipeline touching several
 * keys must keep them in one slot, so:
 *   - per-room keys are tagged with the room id: the sequence counter, its in-flight set,
 *     its re-seed marker and every send binding of the room land in the room's slot, which
 *     is what lets one script allocate a seq and bind it to a send atomically;
 *   - presence keys share one tag per deployment (prefix included): its scripts read the
 *     live-node set together with user hashes and node sets, so they must stay together.
 *     That puts presence on one shard; see docs/architecture.md (Redis Cluster).
 * On a single Redis the braces are ordinary characters and change nothing.
 */
export function redisKeys(prefix: string) {
  const roomTag = (roomId: string) => `{${roomId}}`;
  const presenceTag = `{${prefix}presence}`;
  return {
    /** The room's sequence counter. */
    seq: (roomId: string) => `${prefix}seq:${roomTag(roomId)}`,
    /** Seqs handed out whose writes have not settled yet (see redis-send-ledger.ts). */
    seqInFlight: (roomId: string) => `${prefix}seq-inflight:${roomTag(roomId)}`,
    /** Marks a recent re-seed of the room's counter (see redis-send-ledger.ts). */
    seqEpoch: (roomId: string) => `${prefix}seq-epoch:${roomTag(roomId)}`,
    /** One send's binding (room, sender, clientMsgId) → (seq, id), in the room's slot. */
    sendClaim: (roomId: string, senderId: string, clientMsgId: string) =>
      `${prefix}send:${roomTag(roomId)}:${senderId}:${clientMsgId}`,
    presenceNodes: `${prefix}presence:${presenceTag}:nodes`,
    presenceBeats: `${prefix}presence:${presenceTag}:beats`,
    presenceSweepLock: `${prefix}presence:${presenceTag}:sweep-lock`,
    presenceUser: (userId: string) => `${prefix}presence:${presenceTag}:user:${userId}`,
    presenceNodeUsers: (nodeId: string) => `${prefix}presence:${presenceTag}:node-users:${nodeId}`,
    /** Rate limiter keys are single-key operations: any slot will do. */
    rateLimit: (name: string) => `${prefix}rl:${name}`,
    /** Socket.IO adapter channel prefix (sharded pub/sub hashes the channel name). */
    adapterChannel: `${prefix}sio`,
  } as const;
}

export type RedisKeys = ReturnType<typeof redisKeys>;
