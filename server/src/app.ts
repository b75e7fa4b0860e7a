import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Server } from 'socket.io';
import { adminRoutes } from './admin/admin-routes';
import { createAuth } from './auth/create-auth';
import { notFoundHandler, problemHandler } from './http/error-handler';
import { healthRoutes, metricsHandler } from './http/health-routes';
import { openApiHandler } from './http/openapi';
import { instrumentFanOut } from './observability/fanout-metrics';
import { httpLogging } from './observability/http-logging';
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
  /** The metrics listener's address when METRICS_PORT is set. */
  metricsUrl(): string | undefined;
  /** Graceful stop: refuse new work, tell clients to reconnect elsewhere, finish in-flight writes. */
  close(): Promise<void>;
}

/** Builds one node. No module-level state: a test can run three of these in one process. */
export function createApp(deps: AppDeps): ParleyApp {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  // A hop count or the proxies' addresses, never "trust everything": req.ip (per-IP login
  // limits) is the address the last trusted proxy saw, which a client cannot forge.
  app.set('trust proxy', config.trustProxy);
  app.use(httpLogging(logger, metrics));
  // No upgrade-insecure-requests: a node on plain http (local, behind a TLS-terminating LB)
  // must still load its own web app's assets.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(cors({ origin: originCheck(config.corsOrigins), credentials: true }));
  // inflate: false — compressed bodies are refused (415) instead of decompressed: the size
  // cap would apply after inflation, and no client of ours compresses JSON requests.
  app.use(express.json({ limit: config.limits.maxHttpBodyBytes, inflate: false }));

  const http = createServer(app);
  const io: ParleyServer = new Server(http, {
    cors: { origin: originCheck(config.corsOrigins), credentials: true },
    maxHttpBufferSize: config.limits.maxSocketPayloadBytes,
    // Our recovery comes from Cassandra history; Socket.IO's own does not work with the Redis adapter.
    connectionStateRecovery: undefined,
  });

  const fanout = createSocketIoFanout(io, { clustered: deps.engine.kind === 'cluster' });
  const context: NodeContext = { ...deps, metrics, fanout };
  const auth = createAuth(context, io);
  app.use(
    healthRoutes({
      engine: deps.engine,
      stores: deps.stores,
      metrics,
      isDraining: () => draining,
      metricsAccess:
        config.metrics.port === undefined && config.metrics.token
          ? { token: config.metrics.token }
          : 'off',
    }),
  );
  // Operators scrape /metrics here; the public port does not serve it (see docs/security.md).
  const metricsServer =
    config.metrics.port !== undefined
      ? createServer(
          express()
            .disable('x-powered-by')
            .get('/metrics', metricsHandler(metrics, 'open'))
            .use(notFoundHandler)
            .use(problemHandler(logger)),
        )
      : undefined;
  app.use('/auth', auth.router);
  app.use(usersRoutes({ auth: auth.service, stores: deps.stores }));
  const realtime = registerRealtime({ ...context, io, auth });
  deps.engine.attach(io, (reason) => realtime.resyncLocalSockets(reason));
  instrumentFanOut(io.of('/'), metrics);
  app.use(webApp(config.webDir).router);
  app.use('/admin', adminRoutes({ ...context, io, auth, realtime }));
  app.get('/openapi.json', openApiHandler());

  app.use(notFoundHandler);
  app.use(problemHandler(logger));

  let closing: Promise<void> | undefined;
  /**
   * Zero-error drain behind a load balancer, in this order: fail /readyz and keep serving
   * while the LB's health checks notice (DRAIN_LB_DELAY_MS); then move the sockets and
   * finish in-flight writes; then stop HTTP once the requests it is answering are done.
   */
  async function drainNode() {
    draining = true;
    metrics.draining.set(1);
    const deadline = Date.now() + config.drainLbDelayMs + config.drainTimeoutMs;
    logger.info(
      { lbDelayMs: config.drainLbDelayMs, timeoutMs: config.drainTimeoutMs },
      'drain: readiness now fails; serving until the load balancer notices',
    );
    if (config.drainLbDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.drainLbDelayMs));
    }
    await realtime.drain(config.drainTimeoutMs);
    await closeHttp(http, deadline);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    metricsServer?.closeAllConnections();
    metricsServer?.close();
    auth.close();
    logger.info('drain: complete');
  }

  return {
    http,
    express: app,
    io,
    async listen() {
      if (metricsServer) {
        await listenOn(metricsServer, config.metrics.port ?? 0, config.metrics.host);
        const { port } = metricsServer.address() as AddressInfo;
        logger.info({ port, host: config.metrics.host }, 'metrics listener up');
      }
      const port = await listenOn(http, config.port, config.host);
      const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
      return { port, url: `http://${host}:${port}` };
    },
    metricsUrl() {
      const address = metricsServer?.address() as AddressInfo | null | undefined;
      return address ? `http://${config.metrics.host}:${address.port}` : undefined;
    },
    close() {
      closing ??= drainNode();
      return closing;
    },
  };
}

function listenOn(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
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

/**
 * Stops accepting connections, lets requests already being answered finish (bounded by the
 * drain deadline), then closes what is left. Idle keep-alive connections close at once.
 */
async function closeHttp(http: HttpServer, deadline: number) {
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  const timer = setTimeout(() => http.closeAllConnections(), Math.max(0, deadline - Date.now()));
  timer.unref();
  // Connections that become idle after their response must not hold the close up.
  const sweep = setInterval(() => http.closeIdleConnections(), 100);
  sweep.unref();
  await closed;
  clearTimeout(timer);
  clearInterval(sweep);
}
