import { createApp } from './app';
import { bootstrapAdmin } from './auth/boot-admin';
import { createEmbeddedEngine } from './cluster/embedded-engine';
import { createRedisEngine } from './cluster/redis-engine';
import { ConfigError, loadConfig } from './config/load-config';
import { createLogger } from './observability/logger';
import { createCassandraClient } from './storage/cassandra/cassandra-client';
import { createCassandraStores } from './storage/cassandra/cassandra-stores';
import { createMemoryStores } from './storage/memory/memory-stores';

/** The only place that builds real clients from the environment. */
function readConfig() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
const logger = createLogger(config);

const engine = config.redis
  ? createRedisEngine(config.redis, logger, config.send)
  : createEmbeddedEngine(config.send);
const stores = config.cassandra
  ? createCassandraStores(createCassandraClient(config.cassandra, config.cassandra.keyspace))
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

// A promise nobody awaited failed (e.g. a driver call during an outage): log it and keep
// serving. Every request path has its own handling; this is the last line for the rest.
process.on('unhandledRejection', (reason) => {
  logger.error(
    { err: reason instanceof Error ? reason.message : String(reason) },
    'unhandled rejection',
  );
});

const app = createApp({ config, logger, stores, engine });
const { url } = await app.listen();
logger.info({ url, engine: config.engine, node: config.nodeId }, `parley listening on ${url}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  await app.close();
  await Promise.allSettled([engine.close(), stores.close()]);
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
