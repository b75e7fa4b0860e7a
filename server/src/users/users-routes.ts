import { Router } from 'express';
import { toPublicUser } from '../auth/auth-service';
import { requireAuth } from '../auth/auth-routes';
import type { AuthService } from '../auth/auth-service';
import { type ApiRoute, mountRoute, type RouteHandler } from '../http/api-route';
import type { Stores, UserRecord } from '../storage/types';
import { type usersApi as UsersApi, usersApi } from './users-api';

/** The /users router: public profiles for any signed-in user (see users-api.ts). */
export function usersRoutes(deps: { auth: AuthService; stores: Stores }): Router {
  const router = Router();
  // Mounted at the root (so the route reads `/users`, as documented): guard only our prefix.
  router.use('/users', requireAuth(deps.auth));
  const lookup: RouteHandler<(typeof UsersApi)['lookup']> = async ({ query }) => {
    const found = query.username
      ? [await deps.stores.users.findUserByUsername(query.username)]
      : await Promise.all((query.ids ?? []).map((id) => deps.stores.users.findUserById(id)));
    return {
      users: found.filter((u): u is UserRecord => u !== undefined).map(toPublicUser),
    };
  };
  mountRoute(router, '', usersApi.lookup as ApiRoute, lookup as RouteHandler<ApiRoute>);
  return router;
}
