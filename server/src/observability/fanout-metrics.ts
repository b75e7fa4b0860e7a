import type { Namespace } from 'socket.io';
import type { Metrics } from './metrics';

type Apply = (opts: unknown, callback: (socket: unknown) => void) => void;
interface AdapterInternals {
  _encode(packet: { data?: unknown[] }, options: unknown): unknown;
  apply: Apply;
}

/**
 * Deliveries and fan-out latency, measured where a broadcast reaches this node's sockets.
 * Socket.IO's in-memory adapter (the base of the Redis adapters) encodes a broadcast once and
 * then visits every local socket of its rooms; a broadcast from another node takes the same
 * path after Redis. So: note a message:created at encode time (its stored-at time gives the
 * latency), and count the sockets the visit that follows reaches. Both happen in one
 * synchronous call of the adapter's `broadcast`, which is what makes the hand-over safe.
 * Call after the engine installed its adapter.
 */
export function instrumentFanOut(namespace: Namespace, metrics: Metrics): void {
  const adapter = namespace.adapter as unknown as AdapterInternals;
  const encode = adapter._encode.bind(adapter);
  const apply = adapter.apply.bind(adapter);
  let counting = false;
  adapter._encode = (packet, options) => {
    const [event, payload] = packet.data ?? [];
    if (event === 'message:created') {
      counting = true;
      const createdAt = Date.parse(
        (payload as { createdAt?: string } | undefined)?.createdAt ?? '',
      );
      if (Number.isFinite(createdAt)) {
        metrics.fanOutLatency.observe(Math.max(0, Date.now() - createdAt) / 1000);
      }
    }
    return encode(packet, options);
  };
  adapter.apply = (opts, callback) => {
    if (!counting) return apply(opts, callback);
    counting = false;
    let reached = 0;
    apply(opts, (socket) => {
      reached++;
      callback(socket);
    });
    metrics.deliveries.inc(reached);
  };
}
