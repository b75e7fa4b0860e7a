import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { handleRequest } from '../realtime/handle-request';
import type { ParleySocket } from '../realtime/socket-types';
import type { PresenceService } from './presence-service';

/** Counts the socket for presence and answers `presence:query`. */
export function registerPresenceHandlers(
  socket: ParleySocket,
  deps: { logger: Logger; metrics: Metrics; presence: PresenceService },
) {
  deps.presence.track(socket);
  handleRequest({ socket, logger: deps.logger, metrics: deps.metrics }, 'presence:query', (q) =>
    deps.presence.query(socket.data.userId, q),
  );
}
