/**
 * Messages are partitioned by (room, bucket) with bucket = floor(seq / size).
 * Bucketing by position rather than time bounds a partition by count: 10,000
 * messages of at most 4,000 chars keep it well under Cassandra's ~100 MB comfort zone,
 * whatever the room's traffic pattern.
 */
export const MESSAGES_PER_BUCKET = 10_000;

export function bucketOf(seq: number): number {
  return Math.floor(seq / MESSAGES_PER_BUCKET);
}
