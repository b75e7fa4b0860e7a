import { authRefreshSchema } from '@parley/contract';
import type { ParleyServer } from '../app';
import { AppError, parseOrThrow, toErrorBody } from '../errors';
import type { AuthService } from './auth-service';

type ParleySocket = Parameters<Parameters<ParleyServer['use']>[0]>[0];

export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
export const userRoom = (userId: string) => `user:${userId}`;

/**
 * Handshake: a valid access token in `auth.token`, or `connect_error` with
 * `data: { code }`. Afterwards the socket lives only as long as its token: at expiry it
 * gets `auth:expired` and is disconnected unless `auth:refresh` brings a fresh token in time.
 */
export function installSocketAuth(io: ParleyServer, service: AuthService, graceMs: number) {
  io.use(async (socket, next) => {
    try {
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
      const { body } = toErrorBody(err);
      const error = new Error(body.message) as Error & { data: unknown };
      error.data = { code: body.code, message: body.message };
      next(error);
    }
  });

  io.on('connection', (socket) => {
    void socket.join([userRoom(socket.data.userId), sessionRoom(socket.data.sessionId)]);
    const timers = new ExpiryTimers(socket, graceMs);
    timers.arm();
    socket.on('auth:refresh', async (payload, ack) => {
      if (typeof ack !== 'function') return;
      try {
        const { token } = parseOrThrow(authRefreshSchema, payload);
        const { claims } = await service.authenticate(token);
        if (claims.sub !== socket.data.userId)
          throw new AppError('FORBIDDEN', 'token belongs to another user');
        socket.data.tokenExpiresAt = claims.exp * 1000;
        if (claims.sid !== socket.data.sessionId) {
          void socket.leave(sessionRoom(socket.data.sessionId));
          socket.data.sessionId = claims.sid;
          void socket.join(sessionRoom(claims.sid));
        }
        timers.arm();
        ack({ ok: true, data: { expiresAt: new Date(socket.data.tokenExpiresAt).toISOString() } });
      } catch (err) {
        ack({ ok: false, error: toErrorBody(err).body });
      }
    });
    socket.on('disconnect', () => timers.clear());
  });
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
