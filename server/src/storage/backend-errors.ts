import cassandra from 'cassandra-driver';

const codes = cassandra.types.responseErrorCodes;

/** Cassandra's answers that mean "down, overloaded or too slow right now", not "wrong". */
const CASSANDRA_BUSY_OR_DOWN = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.writeTimeout,
  codes.readTimeout,
  codes.readFailure,
  codes.writeFailure,
]);

/** ioredis errors while it has no usable connection (it reconnects on its own). */
const REDIS_DISCONNECTED = [
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
];

/**
 * true when Cassandra or Redis is down, partitioned, overloaded or timing out: the request
 * is fine and worth retrying, so the client gets UNAVAILABLE (retryable), not INTERNAL.
 * A node loss at RF=3 still refuses logged batches (room changes, edits) until gossip
 * convicts the node (docs/architecture.md, "The send path", step 5): those land here.
 */
export function isBackendUnavailable(err: unknown): boolean {
  const { errors } = cassandra;
  if (err instanceof errors.ResponseError) return CASSANDRA_BUSY_OR_DOWN.has(err.code);
  if (
    err instanceof errors.NoHostAvailableError ||
    err instanceof errors.OperationTimedOutError ||
    err instanceof errors.BusyConnectionError
  )
    return true;
  if (err instanceof errors.DriverError && (err as { isSocketError?: boolean }).isSocketError)
    return true;
  if (err instanceof Error && err.name === 'MaxRetriesPerRequestError') return true;
  return err instanceof Error && REDIS_DISCONNECTED.some((pattern) => pattern.test(err.message));
}
