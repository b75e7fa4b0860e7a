import cassandra from 'cassandra-driver';
import type { CassandraClient } from '../../src/storage/cassandra/cassandra-client';

/**
 * What the next logged batches (message writes) do, in order:
 * - 'applied-then-timeout': the real write runs, then the call fails as Cassandra does
 *   when the batchlog write times out although the batch was applied;
 * - 'timeout-not-applied': nothing is written, same "maybe applied" error;
 * - 'timeout-applied-later': fails the same way and writes the batch only when
 *   `applyDeferred()` is called, like a batch replayed from the batchlog after the
 *   client already retried (a read at LOCAL_QUORUM cannot see it meanwhile);
 * - 'unavailable': nothing is written, the coordinator refused it up front.
 */
export type BatchFault =
  'applied-then-timeout' | 'timeout-not-applied' | 'timeout-applied-later' | 'unavailable';

function batchlogTimeout() {
  const err = new cassandra.errors.ResponseError(
    cassandra.types.responseErrorCodes.writeTimeout,
    'Server timeout during batchlog write at consistency TWO (1 peer(s) acknowledged the write over 2 required)',
  );
  return Object.assign(err, { writeType: 'BATCH_LOG', received: 1, blockFor: 2 });
}

function unavailable() {
  const err = new cassandra.errors.ResponseError(
    cassandra.types.responseErrorCodes.unavailableException,
    'Cannot achieve consistency level LOCAL_QUORUM',
  );
  return Object.assign(err, { required: 2, alive: 1 });
}

/** The real client, with faults injected into its next batches on demand. */
export function withBatchFaults(client: CassandraClient) {
  const queue: BatchFault[] = [];
  const deferred: (() => Promise<unknown>)[] = [];
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'execute') return executeWithFaults(target, value);
      if (property !== 'batch') return value;
      // The promise form of batch (no callback), which is the only one the stores use.
      const realBatch = value as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        const fault = queue.shift();
        if (fault === 'unavailable') throw unavailable();
        if (fault === 'timeout-not-applied') throw batchlogTimeout();
        if (fault === 'timeout-applied-later') {
          deferred.push(() => realBatch.apply(target, args));
          throw batchlogTimeout();
        }
        const result = await realBatch.apply(target, args);
        if (fault === 'applied-then-timeout') throw batchlogTimeout();
        return result;
      };
    },
  });
  /** The send-binding lightweight transaction runs the real Paxos round, then times out. */
  function executeWithFaults(target: CassandraClient, value: unknown) {
    const realExecute = value as (...args: unknown[]) => Promise<unknown>;
    return async (...args: unknown[]) => {
      const query = args[0];
      const isBindingLwt =
        typeof query === 'string' &&
        query.includes('message_dedupe') &&
        query.includes('IF NOT EXISTS');
      if (!isBindingLwt || lwtFaults === 0) return realExecute.apply(target, args);
      lwtFaults--;
      await realExecute.apply(target, args);
      throw Object.assign(batchlogTimeout(), {
        writeType: 'CAS',
        message: 'CAS operation timed out',
      });
    };
  }
  let lwtFaults = 0;

  return {
    client: proxy,
    /** The next `n` binding LWTs are decided, then reported as timed out. */
    failBindingLwts: (n: number) => {
      lwtFaults += n;
    },
    /** Queues faults for the next batches this client runs. */
    inject: (...faults: BatchFault[]) => queue.push(...faults),
    /** Lands the batches held back by 'timeout-applied-later' (the batchlog replay). */
    async applyDeferred() {
      for (const write of deferred.splice(0)) await write();
    },
  };
}
