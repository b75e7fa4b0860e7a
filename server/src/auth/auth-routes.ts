import { credentialsSchema, logoutRequestSchema, refreshRequestSchema } from '@parley/contract';
import { type Request, type RequestHandler, Router } from 'express';
import { AppError, parseOrThrow } from '../errors';
import type { AuthService } from './auth-service';
import { toPublicUser } from './auth-service';
import type { AccessClaims } from './token-service';
import type { UserRecord } from '../storage/types';

export interface AuthedRequest extends Request {
  auth?: { claims: AccessClaims; user: UserRecord };
}

/** Requires `Authorization: Bearer <access token>`; puts the verified claims on the request. */
export function requireAuth(service: AuthService): RequestHandler {
  return async (req: AuthedRequest, _res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (.+)$/i.exec(header) : null;
    if (!match) return next(new AppError('UNAUTHORIZED', 'missing bearer access token'));
    try {
      req.auth = await service.authenticate(match[1]);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function authRoutes(service: AuthService): Router {
  const router = Router();
  const ipOf = (req: Request) => req.ip ?? 'unknown';

  router.post('/register', async (req, res) => {
    const { username, password } = parseOrThrow(credentialsSchema, req.body);
    res.status(201).json(await service.register(username, password, ipOf(req)));
  });
  router.post('/login', async (req, res) => {
    const { username, password } = parseOrThrow(credentialsSchema, req.body);
    const tokens = await service.login(username, password, ipOf(req));
    // Ties this request id to the user, whose socket lines carry the same userId.
    req.log.info({ userId: tokens.user.id }, 'login succeeded');
    res.json(tokens);
  });
  router.post('/refresh', async (req, res) => {
    const { refreshToken } = parseOrThrow(refreshRequestSchema, req.body);
    res.json(await service.refresh(refreshToken));
  });
  router.post('/logout', async (req: AuthedRequest, res) => {
    const { refreshToken } = parseOrThrow(logoutRequestSchema, req.body ?? {});
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const claims = bearer
      ? (await service.authenticate(bearer).catch(() => undefined))?.claims
      : undefined;
    if (!refreshToken && !claims)
      throw new AppError('UNAUTHORIZED', 'give a refresh token or a valid bearer token');
    await service.logout({ refreshToken, claims });
    res.status(204).end();
  });
  router.get('/me', requireAuth(service), (req: AuthedRequest, res) => {
    const auth = req.auth as NonNullable<AuthedRequest['auth']>;
    res.json(toPublicUser(auth.user));
  });
  return router;
}
