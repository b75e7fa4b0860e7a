import cassandra from 'cassandra-driver';
import type { Config } from '../../config/load-config';

export type CassandraClient = cassandra.Client;
export const { types } = cassandra;

type CassandraConfig = NonNullable<Config['cassandra']>;

/**
 * Every query is prepared and runs at LOCAL_QUORUM (LWTs at LOCAL_SERIAL), so a
 * write that was acked survives the loss of a minority of replicas.
 */
export function createCassandraClient(
  config: CassandraConfig,
  keyspace?: string,
  /** Per-request hook (observability/driver-metrics.ts) for a node's latency and error metrics. */
  requestTracker?: cassandra.tracker.RequestTracker,
): CassandraClient {
  return new cassandra.Client({
    // The driver refuses an explicit undefined here.
    ...(requestTracker ? { requestTracker } : {}),
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    keyspace,
    credentials: config.credentials,
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
    },
    socketOptions: { connectTimeout: 5_000, readTimeout: 12_000 },
  });
}

/** Options for writes that may be retried safely (same values, same row). */
export const idempotent = { prepare: true, isIdempotent: true } as const;
export const prepared = { prepare: true } as const;

export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  return (value as { toNumber(): number }).toNumber();
}

export function toIso(value: unknown): string | undefined {
  return value instanceof Date ? value.toISOString() : undefined;
}

export function toDate(value: unknown): Date | undefined {
  return value instanceof Date ? value : undefined;
}

export function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
