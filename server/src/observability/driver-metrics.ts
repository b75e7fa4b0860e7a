import cassandra from 'cassandra-driver';
import type { Redis } from 'ioredis';
import type { Metrics } from './metrics';

/** hrtime pair ([seconds, nanoseconds], as the driver reports latency) to seconds. */
const seconds = ([s, ns]: number[]) => (s ?? 0) + (ns ?? 0) / 1e9;

/** The driver's own per-request hook: latency of every request, and its failures by name. */
export function cassandraRequestTracker(metrics: Metrics): cassandra.tracker.RequestTracker {
  // The driver checks `instanceof RequestTracker`: a class at run time, typed as an interface.
  const Base = (cassandra.tracker as unknown as { RequestTracker: new () => object })
    .RequestTracker;
  class MetricsTracker extends Base implements cassandra.tracker.RequestTracker {
    onSuccess(...args: unknown[]) {
      metrics.cassandraRequests.observe(seconds(args[6] as number[]));
    }
    onError(...args: unknown[]) {
      metrics.cassandraRequests.observe(seconds(args[6] as number[]));
      metrics.cassandraErrors.inc({ error: (args[5] as Error).name });
    }
    shutdown() {}
  }
  return new MetricsTracker();
}

/**
 * Times every command of one ioredis client. ioredis has no per-command hook, so this wraps
 * sendCommand: one timer read and one histogram update per command. Every argument is
 * passed on: a Cluster client re-sends its offline queue as `sendCommand(command, stream,
 * node)`, and dropping `node` crashed the process the moment the cluster became ready.
 */
export function instrumentRedis<C extends Pick<Redis, 'sendCommand'>>(
  client: C,
  role: string,
  metrics: Metrics,
): C {
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  const histogram = metrics.redisCommands.labels({ client: role });
  const errors = metrics.redisErrors.labels({ client: role });
  const timed = (command: Parameters<C['sendCommand']>[0], ...rest: unknown[]) => {
    const started = performance.now();
    const result = send(command, ...rest);
    command.promise.then(
      () => histogram.observe((performance.now() - started) / 1000),
      () => {
        histogram.observe((performance.now() - started) / 1000);
        errors.inc();
      },
    );
    return result;
  };
  client.sendCommand = timed as C['sendCommand'];
  return client;
}
