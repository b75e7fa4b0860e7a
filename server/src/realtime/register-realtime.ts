import type { ParleyServer } from '../app';
import type { Auth } from '../auth/create-auth';
import type { Engine } from '../cluster/engine';
import type { Config } from '../config/load-config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Stores } from '../storage/types';

export interface RealtimeDeps {
  config: Config;
  logger: Logger;
  stores: Stores;
  engine: Engine;
  io: ParleyServer;
  metrics: Metrics;
  auth: Auth;
}

/** Wires the socket events of every capability and owns the node's live-socket lifecycle. */
export function registerRealtime(deps: RealtimeDeps) {
  const { io, metrics, logger } = deps;
  const inFlight = new Set<Promise<unknown>>();

  io.on('connection', (socket) => {
    metrics.connections.inc();
    socket.on('disconnect', () => metrics.connections.dec());
  });

  return {
    /** Runs `work` as in-flight: drain waits for it before the node exits. */
    track<T>(work: Promise<T>): Promise<T> {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work)).catch(() => undefined);
      return work;
    },
    resyncLocalSockets(reason: string) {
      logger.warn({ reason }, 'pub/sub gap: telling local sockets to resync from history');
      // local: only our own sockets missed the events; other nodes handle theirs.
      io.local.emit('sync:required', { reason });
    },
    async drain(timeoutMs: number) {
      io.local.emit('server:draining', { reconnectInMs: 0 });
      const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      io.local.disconnectSockets(true);
    },
  };
}
export type Realtime = ReturnType<typeof registerRealtime>;
