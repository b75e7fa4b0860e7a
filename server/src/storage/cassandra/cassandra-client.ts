import cassandra from 'cassandra-driver';
import { DEFAULT_NATIVE_PORT, sharedNativePort } from '../../config/contact-points';
import type { Config } from '../../config/load-config';

export type CassandraClient = cassandra.Client;
export const { types } = cassandra;

type CassandraConfig = NonNullable<Config['cassandra']>;
type AddressTranslator = cassandra.policies.addressResolution.AddressTranslator;

// The driver accepts only instances of its own AddressTranslator class (an instanceof
// check), which its typings declare as an interface; this is the class at runtime.
const TranslatorBase = (
  cassandra.policies.addressResolution as unknown as {
    AddressTranslator: new () => AddressTranslator;
  }
).AddressTranslator;

/** Dials each advertised node address where the map says (NAT, port-forwards, fault proxies). */
class MappedAddressTranslator extends TranslatorBase {
  constructor(private readonly map: Record<string, string>) {
    super();
  }
  override translate(address: string, port: number, callback: (endpoint: string) => void): void {
    callback(this.map[`${address}:${port}`] ?? this.map[address] ?? `${address}:${port}`);
  }
}

/**
 * Every query is prepared and runs at LOCAL_QUORUM (LWTs at LOCAL_SERIAL), so a
 * write that was acked survives the loss of a minority of replicas.
 *
 * The options below are about losing a node (docs/architecture.md, "Cassandra driver"):
 * - protocolOptions.port: the port of every node the driver learns from system.peers;
 *   without it, a cluster on another port than 9042 is reachable only via the contact
 *   points, and losing them stops every query.
 * - readTimeout 6 s (driver default 12 s): just above the coordinators' own timeouts
 *   (write 2 s, read 5 s), so a frozen or partitioned coordinator is given up on after
 *   6 s instead of 12, while a slow replica still reports as a server-side timeout.
 * - heartBeatInterval 5 s: an idle connection to a node that silently vanished (network
 *   drop, SIGSTOP) is found dead within seconds, not only when a query times out on it.
 * - reconnection: retry a down node every 0.5 s growing to 5 s (default: up to 10 min),
 *   so a restarted replica takes load again quickly.
 * - speculative execution: an idempotent query still unanswered after 1 s is also sent
 *   to the next node, so a frozen coordinator costs about a second, not a timeout.
 *   Non-idempotent queries are never speculated or retried by the driver.
 */
export function createCassandraClient(
  config: CassandraConfig,
  keyspace?: string,
  /** Per-request hook (observability/driver-metrics.ts) for a node's latency and error metrics. */
  requestTracker?: cassandra.tracker.RequestTracker,
): CassandraClient {
  const port = config.port ?? sharedNativePort(config.contactPoints);
  if (port === undefined && !config.addressMap) {
    throw new Error(
      `Cassandra contact points use different ports (${config.contactPoints.join(',')}); use one port`,
    );
  }
  return new cassandra.Client({
    // The driver refuses an explicit undefined here.
    ...(requestTracker ? { requestTracker } : {}),
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    keyspace,
    credentials: config.credentials,
    protocolOptions: { port: port ?? DEFAULT_NATIVE_PORT },
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
    },
    socketOptions: { connectTimeout: 3_000, readTimeout: 6_000 },
    pooling: { heartBeatInterval: 5_000, warmup: true },
    policies: {
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(
        500,
        5_000,
        true,
      ),
      speculativeExecution:
        new cassandra.policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(1_000, 1),
      ...(config.addressMap
        ? { addressResolution: new MappedAddressTranslator(config.addressMap) }
        : {}),
    },
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
