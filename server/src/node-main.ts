import { createApp } from './app';
import { bootstrapAdmin } from './auth/boot-admin';
import { createEmbeddedEngine } from './cluster/embedded-engine';
import { createRedisEngine } from './cluster/redis-engine';
import type { Config } from './config/load-config';
import { cassandraRequestTracker } from './observability/driver-metrics';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { createCassandraClient } from './storage/cassandra/cassandra-client';
import { createCassandraStores } from './storage/cassandra/cassandra-stores';
import { createMemoryStores } from './storage/memory/memory-stores';

/**
 * Builds the real clients and runs one node until SIGTERM/SIGINT, then drains and exits 0.
 * Loaded by main.ts after tracing (when on) is installed.
 */
export async function runNode(config: Config, stopTracing?: () => Promise<void>) {
  const logger = createLogger(config);
  const metrics = createMetrics();
  const engine = config.redis
    ? createRedisEngine(config.redis, logger, config.send, metrics)
    : createEmbeddedEngine(config.send);
  const stores = config.cassandra
    ? createCassandraStores(
        createCassandraClient(
          config.cassandra,
          config.cassandra.keyspace,
          cassandraRequestTracker(metrics),
        ),
      )
    : createMemoryStores();

  if (config.engine === 'embedded') {
    const banner = [
      '*****************************************************************',
      '* EMBEDDED ENGINE: one node, in-memory stores, in-process fan-out *',
      '* History, users and tokens are NOT durable: they vanish on exit. *',
      '* Set REDIS_URL and CASSANDRA_CONTACT_POINTS for a real cluster.  *',
      '*****************************************************************',
    ];
    for (const line of banner) logger.warn(line);
  }
  if (config.tracing.enabled) {
    logger.info({ service: config.tracing.serviceName }, 'OpenTelemetry tracing on');
  }

  // A promise nobody awaited failed (e.g. a driver call during an outage): log it and keep
  // serving. Every request path has its own handling; this is the last line for the rest.
  process.on('unhandledRejection', (reason) => {
    logger.error(
      { err: reason instanceof Error ? reason.message : String(reason) },
      'unhandled rejection',
    );
  });

  const app = createApp({ config, logger, stores, engine, metrics });
  const { url } = await app.listen();
  logger.info({ url, engine: config.engine, node: config.nodeId }, `parley listening on ${url}`);

  let stopping = false;
  async function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    await app.close();
    await Promise.allSettled([engine.close(), stores.close(), stopTracing?.()]);
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const admin = await bootstrapAdmin(config, stores).catch((err: unknown) => {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'boot admin failed');
    return undefined;
  });
  if (config.engine === 'embedded') {
    // For the person who just typed `npm start`: where to click, and how to get into the console.
    const lines = [
      '',
      `  Parley is running: open ${url}/ (chat) and ${url}/admin (admin console)`,
      admin?.generatedPassword
        ? `  Admin sign-in (one-time, this process only): ${admin.username} / ${admin.generatedPassword}`
        : admin
          ? `  Admin sign-in: ${admin.username} (password from PARLEY_ADMIN_PASSWORD)`
          : '',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } else if (admin) {
    logger.info({ username: admin.username, outcome: admin.outcome }, 'boot admin ready');
  }
}
