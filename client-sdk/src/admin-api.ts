import type { LiveMetricsSnapshot } from '@parley/contract';
import { io } from 'socket.io-client';
import type { ParleyClient } from './client';
import { ParleyError, toParleyError } from './errors';

/** The admin API's live side: `client.admin` (needs an account with the admin role). */
export class AdminApi {
  constructor(private readonly client: ParleyClient) {}

  /**
   * Subscribes to the cluster's live figures (nodes, connections, deliveries/s, fan-out
   * latency percentiles, errors/s), pushed about once a second over the `/admin-live`
   * namespace of the node the client uses. Reconnects on its own; `onError` hears a refusal
   * (`FORBIDDEN` for a non-admin). Returns the function that stops it.
   */
  watchMetrics(
    onSnapshot: (snapshot: LiveMetricsSnapshot) => void,
    onError?: (error: ParleyError) => void,
  ): () => void {
    const base = this.client.restBases()[0];
    if (!base) throw new ParleyError('VALIDATION', 'no server URL given', { retryable: false });
    const socket = io(new URL('/admin-live', base).toString(), {
      transports: ['websocket'],
      forceNew: true,
      // Asked on every (re)connect, so a refreshed token is used.
      auth: (cb) => {
        this.client.accessToken().then(
          (token) => cb({ token }),
          (err: unknown) => {
            onError?.(toParleyError(err, 'NETWORK'));
            cb({});
          },
        );
      },
    });
    socket.on('metrics:updated', onSnapshot);
    socket.on('connect_error', (err: Error & { data?: unknown }) => {
      const error = err.data
        ? toParleyError(err.data)
        : new ParleyError('NETWORK', `live metrics: ${err.message}`);
      onError?.(error);
      // A refusal will not change by retrying with the same account.
      if (!error.retryable) socket.close();
    });
    return () => {
      socket.off('metrics:updated', onSnapshot);
      socket.close();
    };
  }
}
