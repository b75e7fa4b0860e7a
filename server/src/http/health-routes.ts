import { timingSafeEqual } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import { AppError } from '../errors';
import type { Engine } from '../cluster/engine';
import type { Metrics } from '../observability/metrics';
import type { Stores } from '../storage/types';

export function healthRoutes(deps: {
  engine: Engine;
  stores: Stores;
  metrics: Metrics;
  isDraining: () => boolean;
  /** How /metrics is exposed on this (public) port; see `metricsHandler`. */
  metricsAccess: MetricsAccess;
}): Router {
  const router = Router();
  // Liveness: the process answers. Never depends on Redis or Cassandra.
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: take traffic only when our backing services answer and we are not draining.
  router.get('/readyz', async (_req, res) => {
    const [redis, cassandra] = await Promise.all([deps.engine.ping(), deps.stores.ping()]);
    const ready = redis && cassandra && !deps.isDraining();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not-ready',
      engine: deps.engine.kind,
      checks: {
        redis: deps.engine.kind === 'embedded' ? 'embedded' : redis ? 'up' : 'down',
        cassandra: deps.engine.kind === 'embedded' ? 'embedded' : cassandra ? 'up' : 'down',
        draining: deps.isDraining(),
      },
    });
  });
  router.get('/metrics', metricsHandler(deps.metrics, deps.metricsAccess));
  return router;
}

/**
 * 'separate-port': served only on the metrics listener (METRICS_PORT), 404 here.
 * { token }: served here to `Authorization: Bearer <token>` only. 'off': not served here.
 * 'open': served to anyone — the metrics listener itself, which is not public.
 */
export type MetricsAccess = 'off' | 'open' | { token: string };

export function metricsHandler(metrics: Metrics, access: MetricsAccess): RequestHandler {
  return async (req, res, next) => {
    if (access === 'off')
      return next(new AppError('NOT_FOUND', 'metrics are not served on this port'));
    if (access !== 'open') {
      const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!sameSecret(given, access.token))
        return next(new AppError('UNAUTHORIZED', 'metrics need the metrics bearer token'));
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

function sameSecret(given: string, expected: string) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
