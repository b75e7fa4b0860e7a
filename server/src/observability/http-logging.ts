import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** An id a proxy or client sent (HAProxy's unique-id, a caller's own), when it looks sane. */
const incomingId = /^[A-Za-z0-9._:-]{1,128}$/;
/** Probes hit every node each second: their access lines are debug, not info. */
const probes = new Set(['/healthz', '/readyz', '/metrics']);

function routeOf(req: IncomingMessage): string {
  const r = req as Request;
  // The route pattern (/admin/users/:userId/ban), never the raw path: bounded label values.
  const pattern: unknown = r.route?.path;
  return typeof pattern === 'string' ? `${r.baseUrl ?? ''}${pattern}` : 'unmatched';
}

function loginOutcome(status: number) {
  if (status < 300) return 'success';
  if (status === 429) return 'throttled';
  if (status === 400) return 'invalid';
  return 'failure';
}

/**
 * Access log + request id for every REST request: one info line per request (`reqId`,
 * method, route, status, ms), `req.log` for handlers so their lines carry the same id, the
 * id echoed in `X-Request-Id`. Also counts requests by route and status, and logins by outcome.
 */
export function httpLogging(logger: Logger, metrics: Metrics): RequestHandler[] {
  const http = pinoHttp({
    logger,
    // req.log binds just `reqId`, so a handler's own lines carry it at the top level.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const header = req.headers['x-request-id'];
      const id = typeof header === 'string' && incomingId.test(header) ? header : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      return probes.has(req.url?.split('?')[0] ?? '') ? 'debug' : 'info';
    },
    customSuccessMessage: (req, res, ms) =>
      `${req.method} ${routeOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode} failed`,
    // The default serializers log every header (cookies, bearer tokens): keep what helps.
    serializers: {
      req: (req: { method: string; url: string; remoteAddress?: string }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        ip: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  });
  const measure: RequestHandler = (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = routeOf(req);
      metrics.httpRequests.inc({ method: req.method, route, status: res.statusCode });
      metrics.httpLatency.observe({ route }, (performance.now() - started) / 1000);
      if (route === '/auth/login') metrics.logins.inc({ outcome: loginOutcome(res.statusCode) });
    });
    next();
  };
  return [http as unknown as RequestHandler, measure];
}
