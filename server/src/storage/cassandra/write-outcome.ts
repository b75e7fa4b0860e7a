import cassandra from 'cassandra-driver';

const codes = cassandra.types.responseErrorCodes;

/**
 * Server errors that are raised before the coordinator sends the mutation to any replica
 * (or by a node that never ran the request), so nothing can have been applied.
 * writeTimeout, writeFailure and serverError are deliberately absent: a write timeout,
 * including one on the batchlog write, often means the mutation was (or will be, by
 * batchlog replay or hints) applied.
 */
const REFUSED_BEFORE_WRITE = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.protocolError,
  codes.badCredentials,
  codes.syntaxError,
  codes.unauthorized,
  codes.invalid,
  codes.configError,
  codes.alreadyExists,
  codes.unprepared,
]);

/** Socket errors from connecting: the request was never sent on that connection. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * true only when the driver error proves the write was not applied anywhere. Anything
 * else — timeouts, lost coordinators, closed sockets, errors we do not recognise — is
 * "maybe applied": the caller must keep the send's binding so a retry rewrites the
 * same row instead of storing a second message.
 */
export function certainlyNotApplied(err: unknown): boolean {
  if (err instanceof cassandra.errors.ResponseError) return REFUSED_BEFORE_WRITE.has(err.code);
  if (err instanceof cassandra.errors.NoHostAvailableError) {
    // Each host the driver tried must have refused (or never received) the request.
    const inner = Object.values((err.innerErrors ?? {}) as Record<string, unknown>);
    return inner.every(certainlyNotApplied);
  }
  // Checked client side before anything is sent.
  if (err instanceof cassandra.errors.ArgumentError) return true;
  if (err instanceof cassandra.errors.BusyConnectionError) return true;
  if (err instanceof Error) {
    const flags = err as Error & { requestNotWritten?: boolean; code?: unknown };
    // The driver marks queued requests that never reached the socket.
    if (flags.requestNotWritten === true) return true;
    if (typeof flags.code === 'string' && NEVER_CONNECTED.has(flags.code)) return true;
  }
  return false;
}
