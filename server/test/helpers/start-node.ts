import { randomBytes } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { inject } from 'vitest';
import { createApp, type ParleyApp } from '../../src/app';
import { createEmbeddedEngine } from '../../src/cluster/embedded-engine';
import type { Engine } from '../../src/cluster/engine';
import { createRedisEngine } from '../../src/cluster/redis-engine';
import { type Config, loadConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/observability/logger';
import {
  type CassandraClient,
  createCassandraClient,
} from '../../src/storage/cassandra/cassandra-client';
import { createCassandraStores } from '../../src/storage/cassandra/cassandra-stores';
import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import type { Stores } from '../../src/storage/types';
import { testServices } from './services';

export interface TestNode {
  app: ParleyApp;
  url: string;
  config: Config;
  engine: Engine;
  stores: Stores;
  stop(): Promise<void>;
}

export interface NodeOptions {
  /** Wraps the node's Cassandra client, e.g. to inject write faults. */
  wrapCassandra?: (client: CassandraClient) => CassandraClient;
}

/**
 * A test cluster: nodes share one signing key, one Redis key prefix and the run's
 * throwaway keyspace, like real nodes behind a load balancer. Port 0 everywhere.
 */
export function createTestCluster(env: Record<string, string> = {}) {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const nodes: TestNode[] = [];
  let counter = 0;

  /** The env of a member of this cluster: also for one started as its own process. */
  function nodeEnv(extraEnv: Record<string, string> = {}): Record<string, string> {
    const services = testServices();
    // A test that brings its own Redis (REDIS_URL) gets exactly that one.
    const ownRedis = 'REDIS_URL' in env || 'REDIS_URL' in extraEnv;
    return {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ID: `test-node-${++counter}`,
      LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'silent',
      ...(ownRedis ? {} : services.redisEnv),
      REDIS_KEY_PREFIX: prefix,
      CASSANDRA_CONTACT_POINTS: services.cassandraContactPoints.join(','),
      CASSANDRA_KEYSPACE: inject('keyspace'),
      JWT_PRIVATE_KEY: jwtKey,
      // Cheap hashing keeps the suite fast; production parameters are tested on their own.
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      DRAIN_TIMEOUT_MS: '2000',
      ...env,
      ...extraEnv,
    };
  }

  async function startNode(
    extraEnv: Record<string, string> = {},
    options: NodeOptions = {},
  ): Promise<TestNode> {
    return boot(loadConfig(nodeEnv(extraEnv)), options);
  }

  async function boot(config: Config, options: NodeOptions): Promise<TestNode> {
    const logger = createLogger(config);
    const engine = createRedisEngine(config.redis!, logger, config.send);
    const client = createCassandraClient(config.cassandra!, config.cassandra!.keyspace);
    const stores = createCassandraStores(options.wrapCassandra?.(client) ?? client);
    const app = createApp({ config, logger, stores, engine });
    const { url } = await app.listen();
    let stopped = false;
    const node: TestNode = {
      app,
      url,
      config,
      engine,
      stores,
      async stop() {
        if (stopped) return;
        stopped = true;
        await app.close();
        await Promise.allSettled([engine.close(), stores.close()]);
      },
    };
    nodes.push(node);
    return node;
  }

  return {
    prefix,
    jwtKey,
    startNode,
    nodeEnv,
    nodes,
    async stopAll() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
    },
  };
}

/** A single embedded node (memory stores, in-process adapter), for unit-level tests. */
export async function startEmbeddedNode(env: Record<string, string> = {}): Promise<TestNode> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    DRAIN_TIMEOUT_MS: '500',
    ...env,
  });
  const logger = createLogger(config);
  const engine = createEmbeddedEngine(config.send);
  const stores = createMemoryStores();
  const app = createApp({ config, logger, stores, engine });
  const { url } = await app.listen();
  return {
    app,
    url,
    config,
    engine,
    stores,
    stop: async () => {
      await app.close();
    },
  };
}
