import type { ParleyServer } from '../app';
import type { Engine } from '../cluster/engine';
import type { Config } from '../config/load-config';
import type { Logger } from '../observability/logger';
import type { Stores } from '../storage/types';
import { authRoutes } from './auth-routes';
import { createAuthService } from './auth-service';
import { createLoginThrottle } from './login-throttle';
import { createPasswordHasher } from './password-hasher';
import { installSocketAuth, sessionRoom } from './socket-auth';
import { createTokenService } from './token-service';

export function createAuth(deps: {
  config: Config;
  logger: Logger;
  stores: Stores;
  engine: Engine;
  io: ParleyServer;
}) {
  const { config, io } = deps;
  const tokens = createTokenService(config.jwt, { allowEphemeralKey: config.env !== 'production' });
  const service = createAuthService({
    ...deps,
    hasher: createPasswordHasher(config.argon2),
    tokens,
    throttle: createLoginThrottle(deps.engine, config.limits),
    // Through the adapter, so the session's sockets on every node are closed.
    endSession: (sessionId) => io.in(sessionRoom(sessionId)).disconnectSockets(true),
  });
  installSocketAuth(io, service, {
    graceMs: config.jwt.expiryGraceMs,
    allowedOrigins: config.corsOrigins,
    logger: deps.logger,
  });
  return { service, tokens, router: authRoutes(service), close: () => undefined };
}
export type Auth = ReturnType<typeof createAuth>;
