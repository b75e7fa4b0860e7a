import cassandra from 'cassandra-driver';
import type { CassandraClient } from '../../src/storage/cassandra/cassandra-client';

/**
 * What the next message writes do (a message write is three steps: binding row, index
 * rows, message row; see CassandraMessageStore.appendMessage), in order:
 * - 'applied-then-timeout': every step runs, then the last one fails as Cassandra does
 *   when a write times out although it was applied;
 * - 'binding-then-timeout': the binding lands, the message row's write times out unapplied
 *   (a send half written when its coordinator was lost);
 * - 'timeout-not-applied': the binding write times out and nothing is written;
 * - 'timeout-applied-later': the binding write times out, and lands only when
 *   `applyDeferred()` is called, like a replica that gets it from a hint after the client
 *   already retried (a read at LOCAL_QUORUM cannot see it meanwhile);
 * - 'unavailable': nothing is written, the coordinator refused it up front.
 */
export type WriteFault =
  | 'applied-then-timeout'
  | 'binding-then-timeout'
  | 'timeout-not-applied'
  | 'timeout-applied-later'
  | 'unavailable';

function writeTimeout(writeType = 'SIMPLE') {
  const err = new cassandra.errors.ResponseError(
    cassandra.types.responseErrorCodes.writeTimeout,
    'Operation timed out - received only 1 responses.',
  );
  return Object.assign(err, { writeType, received: 1, blockFor: 2 });
}

function unavailable() {
  const err = new cassandra.errors.ResponseError(
    cassandra.types.responseErrorCodes.unavailableException,
    'Cannot achieve consistency level LOCAL_QUORUM',
  );
  return Object.assign(err, { required: 2, alive: 1 });
}

type Execute = (...args: unknown[]) => Promise<unknown>;

/** The real client, with faults injected into its next message writes on demand. */
export function withWriteFaults(client: CassandraClient) {
  const queue: WriteFault[] = [];
  const deferred: (() => Promise<unknown>)[] = [];
  let lwtFaults = 0;
  // The fault of the message write in progress (its binding step came first).
  let current: WriteFault | undefined;

  function executeWithFaults(target: CassandraClient, realExecute: Execute): Execute {
    return async (...args: unknown[]) => {
      const query = typeof args[0] === 'string' ? args[0] : '';
      const run = () => realExecute.apply(target, args);
      if (query.startsWith('INSERT INTO message_dedupe') && query.includes('IF NOT EXISTS')) {
        // The send-binding lightweight transaction runs the real Paxos round, then times out.
        if (lwtFaults === 0) return run();
        lwtFaults--;
        await run();
        throw Object.assign(writeTimeout('CAS'), { message: 'CAS operation timed out' });
      }
      if (query.startsWith('INSERT INTO message_dedupe')) {
        current = queue.shift();
        if (current === 'unavailable') throw unavailable();
        if (current === 'timeout-not-applied') throw writeTimeout();
        if (current === 'timeout-applied-later') {
          deferred.push(run);
          throw writeTimeout();
        }
        return run();
      }
      if (query.startsWith('INSERT INTO messages (')) {
        const fault = current;
        current = undefined;
        if (fault === 'binding-then-timeout') throw writeTimeout();
        const result = await run();
        if (fault === 'applied-then-timeout') throw writeTimeout();
        return result;
      }
      return run();
    };
  }

  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'execute') return executeWithFaults(target, value as Execute);
      return value;
    },
  });

  return {
    client: proxy,
    /** The next `n` binding LWTs are decided, then reported as timed out. */
    failBindingLwts: (n: number) => {
      lwtFaults += n;
    },
    /** Queues faults for the next message writes this client runs. */
    inject: (...faults: WriteFault[]) => queue.push(...faults),
    /** Lands the writes held back by 'timeout-applied-later' (the late replica). */
    async applyDeferred() {
      for (const write of deferred.splice(0)) await write();
    },
  };
}
