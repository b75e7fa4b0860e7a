import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/cluster/redis-keys';

/**
 * Redis Cluster hashes only the hash tag — the text between the first `{` and the next
 * `}` — when there is a non-empty one. Keys one script or pipeline touches together must
 * share it, or Redis Cluster answers CROSSSLOT.
 */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redis key names (Redis Cluster slots)', () => {
  const keys = redisKeys('parley:');

  it('puts a room counter, its in-flight set, its re-seed marker and its send bindings in the room slot', () => {
    const room = '6f1c2a8e-0000-4000-8000-000000000001';
    const tags = [
      keys.seq(room),
      keys.seqInFlight(room),
      keys.seqEpoch(room),
      keys.sendClaim(room, 'sender-1', 'client-msg-1'),
    ].map(hashTag);
    expect(new Set(tags)).toEqual(new Set([room]));
    expect(hashTag(keys.seq('another-room'))).not.toBe(room);
  });

  it('puts every presence key of a deployment in one slot, apart from other deployments', () => {
    const tags = [
      keys.presenceNodes,
      keys.presenceBeats,
      keys.presenceSweepLock,
      keys.presenceUser('user-a'),
      keys.presenceUser('user-b'),
      keys.presenceNodeUsers('node-1'),
    ].map(hashTag);
    expect(new Set(tags).size).toBe(1);
    expect(hashTag(redisKeys('other:').presenceNodes)).not.toBe(tags[0]);
  });
});
