import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Server } from 'socket.io';
import { adminRoutes } from './admin/admin-routes';
import { createAuth } from './auth/create-auth';
import { notFoundHandler, problemHandler } from './http/error-handler';
import { healthRoutes } from './http/health-routes';
import { openApiHandler } from './http/openapi';
import { createMetrics } from './observability/metrics';
import type { AppDeps, NodeContext } from './ports/node-context';
import { registerRealtime } from './realtime/register-realtime';
import { createSocketIoFanout } from './realtime/socket-io-fanout';
import type { ParleyServer } from './realtime/socket-types';
import { usersRoutes } from './users/users-routes';
import { webApp } from './web/web-app';

export type { AppDeps, NodeContext } from './ports/node-context';
export type { ParleyServer } from './realtime/socket-types';

export interface ParleyApp {
  http: HttpServer;
  /** The express app, for tests that inspect the route table (the OpenAPI coverage test). */
  express: express.Express;
  io: ParleyServer;
  listen(): Promise<{ port: number; url: string }>;
  /** Graceful stop: refuse new work, tell clients to reconnect elsewhere, finish in-flight writes. */
  close(): Promise<void>;
}

/** Builds one node. No module-level state: a test can run three of these in one process. */
export function createApp(deps: AppDeps): ParleyApp {
  const { config, logger } = deps;
  const metrics = createMetrics();
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // No upgrade-insecure-requests: a node on plain http (local, behind a TLS-terminating LB)
  // must still load its own web app's assets.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(cors({ origin: originCheck(config.corsOrigins), credentials: true }));
  app.use(express.json({ limit: config.limits.maxHttpBodyBytes }));

  const http = createServer(app);
  const io: ParleyServer = new Server(http, {
    cors: { origin: originCheck(config.corsOrigins), credentials: true },
    maxHttpBufferSize: config.limits.maxSocketPayloadBytes,
    // Our recovery comes from Cassandra history; Socket.IO's own does not work with the Redis adapter.
    connectionStateRecovery: undefined,
  });

  const context: NodeContext = { ...deps, metrics, fanout: createSocketIoFanout(io) };
  const auth = createAuth(context, io);
  app.use(
    healthRoutes({ engine: deps.engine, stores: deps.stores, metrics, isDraining: () => draining }),
  );
  app.use('/auth', auth.router);
  app.use(usersRoutes({ auth: auth.service, stores: deps.stores }));
  const realtime = registerRealtime({ ...context, io, auth });
  deps.engine.attach(io, (reason) => realtime.resyncLocalSockets(reason));
  app.use(webApp(config.webDir).router);
  app.use('/admin', adminRoutes({ ...context, io, auth, realtime }));
  app.get('/openapi.json', openApiHandler());

  app.use(notFoundHandler);
  app.use(problemHandler(logger));

  return {
    http,
    express: app,
    io,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const { port } = http.address() as AddressInfo;
          const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
          resolve({ port, url: `http://${host}:${port}` });
        });
      }),
    async close() {
      if (draining) return;
      draining = true;
      await realtime.drain(config.drainTimeoutMs);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      http.closeAllConnections();
      auth.close();
    },
  };
}

/** undefined = any origin (development); otherwise an exact allowlist. */
function originCheck(allowed: string[] | undefined) {
  if (!allowed) return true;
  const set = new Set(allowed);
  return (origin: string | undefined, callback: (err: Error | null, allow?: boolean) => void) => {
    // Requests without Origin (server-to-server, CLI) are not browser requests: CORS does not apply.
    callback(null, origin === undefined || set.has(origin));
  };
}
