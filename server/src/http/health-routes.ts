import { Router } from 'express';
import type { Engine } from '../cluster/engine';
import type { Metrics } from '../observability/metrics';
import type { Stores } from '../storage/types';

export function healthRoutes(deps: {
  engine: Engine;
  stores: Stores;
  metrics: Metrics;
  isDraining: () => boolean;
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
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
