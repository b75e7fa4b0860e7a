import { type RequestHandler, Router } from 'express';
import { type AuthedRequest, requireAuth } from '../auth/auth-routes';
import type { Auth } from '../auth/create-auth';
import { AppError } from '../errors';
import { type ApiRoute, mountRoute, type RouteHandler } from '../http/api-route';
import type { NodeContext } from '../ports/node-context';
import type { Realtime } from '../realtime/register-realtime';
import type { ParleyServer } from '../realtime/socket-types';
import type { UserRecord } from '../storage/types';
import { type AdminApi, adminApi } from './admin-api';
import { createAdminService } from './admin-service';
import { createClusterOverview } from './cluster-overview';
import { installLiveMetrics } from './live-metrics';

export interface AdminDeps extends NodeContext {
  /** For the node's own socket statistics and the cluster overview request. */
  io: ParleyServer;
  auth: Auth;
  realtime: Pick<Realtime, 'messages' | 'rooms'>;
}

/** Only users whose stored roles include admin; the token's claims are not enough. */
const requireAdmin: RequestHandler = (req: AuthedRequest, _res, next) => {
  if (!req.auth?.user.roles.includes('admin'))
    return next(new AppError('FORBIDDEN', 'admin role required'));
  next();
};

const actorOf = (req: AuthedRequest): UserRecord =>
  (req.auth as NonNullable<AuthedRequest['auth']>).user;

/** Moderation is logged at info on the request's own logger, so the line carries its reqId. */
function moderation(req: AuthedRequest, action: string, details: Record<string, unknown>) {
  req.log.info({ action, actor: actorOf(req).id, ...details }, `moderation: ${action}`);
}

/** The /admin router. Every route needs an admin bearer token; see docs/admin-api.md. */
export function adminRoutes(deps: AdminDeps): Router {
  const service = createAdminService({
    stores: deps.stores,
    fanout: deps.fanout,
    messages: deps.realtime.messages,
    rooms: deps.realtime.rooms,
    logger: deps.logger,
  });
  const overview = createClusterOverview({
    io: deps.io,
    engine: deps.engine,
    metrics: deps.metrics,
    nodeId: deps.config.nodeId,
  });

  installLiveMetrics({
    io: deps.io,
    engine: deps.engine,
    metrics: deps.metrics,
    auth: deps.auth.service,
    nodeId: deps.config.nodeId,
    allowedOrigins: deps.config.corsOrigins,
  });

  // Authentication before anything else: without a valid admin token, even a malformed
  // request learns nothing (401/403, never 400 or 404).
  const router = Router();
  router.use(requireAuth(deps.auth.service), requireAdmin);

  const handlers: { [K in keyof AdminApi]: RouteHandler<AdminApi[K]> } = {
    roomMessages: ({ req, params, query }) =>
      service.roomHistory(actorOf(req), params.roomId, query),
    roomExport: async ({ req, res, params, query }) => {
      await service.exportRoom(actorOf(req), params.roomId, query, res);
      return undefined;
    },
    room: ({ req, params }) => service.room(actorOf(req), params.roomId),
    userMessages: ({ req, params, query }) =>
      service.userHistory(actorOf(req), params.userId, query),
    user: ({ req, params }) => service.user(actorOf(req), params.userId),
    findUsers: ({ req, query: { username, ...listing } }) =>
      username !== undefined
        ? service.findUsers(actorOf(req), username)
        : service.searchUsers(listing),
    listRooms: ({ query }) => service.searchRooms(query),
    deleteMessage: async ({ req, params, body }) => {
      const result = await service.deleteMessage(
        actorOf(req),
        params.roomId,
        params.seq,
        body.reason,
      );
      moderation(req, 'delete', { roomId: params.roomId, seq: params.seq, reason: body.reason });
      return result;
    },
    banUser: async ({ req, params, body }) => {
      const result = await service.ban(actorOf(req), params.userId, body.reason);
      moderation(req, 'ban', { target: params.userId, reason: body.reason });
      return result;
    },
    unbanUser: async ({ req, params }) => {
      const result = await service.unban(actorOf(req), params.userId);
      moderation(req, 'unban', { target: params.userId });
      return result;
    },
    kickMember: async ({ req, params, body }) => {
      const result = await service.kick(actorOf(req), params.roomId, params.userId, body.reason);
      moderation(req, 'kick', {
        target: params.userId,
        roomId: params.roomId,
        reason: body.reason,
      });
      return result;
    },
    overview: () => overview.collect(),
    audit: ({ query }) => service.auditEntries(query.limit),
  };
  for (const key of Object.keys(adminApi) as (keyof AdminApi)[]) {
    mountRoute(
      router,
      '/admin',
      adminApi[key] as ApiRoute,
      handlers[key] as RouteHandler<ApiRoute>,
    );
  }
  return router;
}
