import type { ErrorCode } from '@parley/contract';
import { AppError, toErrorBody } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { handleRequest } from '../realtime/handle-request';
import {
  sessionChannel,
  userChannel,
  type ParleyServer,
  type ParleySocket,
} from '../realtime/socket-types';
import type { AuthService } from './auth-service';

export interface SocketAuthOptions {
  /** How long a socket may live after `auth:expired` without an `auth:refresh`. */
  graceMs: number;
  /** Same allowlist as REST CORS; undefined = any origin (development). */
  allowedOrigins?: string[];
  logger: Logger;
  metrics: Metrics;
}

/**
 * Handshake: a valid access token in `auth.token`, or `connect_error` with
 * `data: { code }`. Afterwards the socket lives only as long as its token: at expiry it
 * gets `auth:expired` and is disconnected unless `auth:refresh` brings a fresh token in time.
 */
export function installSocketAuth(
  io: ParleyServer,
  service: AuthService,
  options: SocketAuthOptions,
) {
  const { graceMs, logger } = options;
  const origins = options.allowedOrigins && new Set(options.allowedOrigins);

  io.use(async (socket, next) => {
    try {
      // CORS headers do not protect WebSockets (browsers never preflight an upgrade), so a
      // page from a foreign origin could open one with a stolen token: refuse it here.
      const origin = socket.handshake.headers.origin;
      if (origins && origin !== undefined && !origins.has(origin)) {
        throw new AppError('FORBIDDEN', 'origin not allowed');
      }
      const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
      const { claims, user } = await service.authenticate(token);
      socket.data = {
        userId: user.id,
        username: user.username,
        roles: user.roles,
        sessionId: claims.sid,
        tokenExpiresAt: claims.exp * 1000,
      };
      next();
    } catch (err) {
      const { body, internal } = toErrorBody(err);
      if (internal) logger.error({ err }, 'socket handshake failed unexpectedly');
      next(handshakeError(body.code, body.message));
    }
  });

  io.on('connection', (socket) => {
    void socket.join([userChannel(socket.data.userId), sessionChannel(socket.data.sessionId)]);
    const timers = new ExpiryTimers(socket, graceMs);
    timers.arm();
    // Through the request table like every request: a refresh without a callback gets
    // `error:raised` instead of silence.
    handleRequest({ socket, logger, metrics: options.metrics }, 'auth:refresh', async (p) => {
      const { claims, user } = await service.authenticate(p.token);
      if (claims.sub !== socket.data.userId)
        throw new AppError('FORBIDDEN', 'token belongs to another user');
      // Roles may have changed since the handshake (an admin promotion or demotion).
      socket.data.roles = user.roles;
      socket.data.username = user.username;
      socket.data.tokenExpiresAt = claims.exp * 1000;
      if (claims.sid !== socket.data.sessionId) {
        // Logout of the new session must reach this socket, logout of the old one must not.
        void socket.leave(sessionChannel(socket.data.sessionId));
        socket.data.sessionId = claims.sid;
        void socket.join(sessionChannel(claims.sid));
      }
      timers.arm();
      return { expiresAt: new Date(socket.data.tokenExpiresAt).toISOString() };
    });
    socket.on('disconnect', () => timers.clear());
  });
}

function handshakeError(code: ErrorCode, message: string) {
  const error = new Error(message) as Error & { data: { code: ErrorCode; message: string } };
  error.data = { code, message };
  return error;
}

class ExpiryTimers {
  private warn?: NodeJS.Timeout;
  private kill?: NodeJS.Timeout;
  constructor(
    private readonly socket: ParleySocket,
    private readonly graceMs: number,
  ) {}
  arm() {
    this.clear();
    const ms = Math.max(0, this.socket.data.tokenExpiresAt - Date.now());
    // setTimeout caps at ~24.8 days; access tokens live minutes.
    this.warn = setTimeout(
      () => {
        this.socket.emit('auth:expired', { graceMs: this.graceMs });
        this.kill = setTimeout(() => this.socket.disconnect(true), this.graceMs);
      },
      Math.min(ms, 2 ** 31 - 1),
    );
  }
  clear() {
    clearTimeout(this.warn);
    clearTimeout(this.kill);
  }
}
