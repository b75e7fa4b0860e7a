import type { NodeContext } from '../ports/node-context';
import type { ParleyServer } from '../realtime/socket-types';
import { authRoutes } from './auth-routes';
import { createAuthService } from './auth-service';
import { createLoginThrottle } from './login-throttle';
import { createPasswordHasher } from './password-hasher';
import { installSocketAuth } from './socket-auth';
import { createTokenService } from './token-service';

/** `io` is the transport the socket handshake runs on; everything else goes through the ports. */
export function createAuth(deps: NodeContext, io: ParleyServer) {
  const { config, fanout } = deps;
  const tokens = createTokenService(config.jwt, { allowEphemeralKey: config.env !== 'production' });
  const service = createAuthService({
    ...deps,
    hasher: createPasswordHasher(config.argon2),
    tokens,
    throttle: createLoginThrottle(deps.engine, config.limits),
    // Through the adapter, so the session's sockets on every node are closed.
    endSession: (sessionId) => fanout.disconnectSession(sessionId),
  });
  installSocketAuth(io, service, {
    graceMs: config.jwt.expiryGraceMs,
    allowedOrigins: config.corsOrigins,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  return { service, tokens, router: authRoutes(service), close: () => undefined };
}
export type Auth = ReturnType<typeof createAuth>;
