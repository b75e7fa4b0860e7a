import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import { migrate, schemaChange } from '../../src/storage/cassandra/migrator';
import { cassandraTestConfig } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    keyspace: string;
  }
}

/** One throwaway keyspace per run, migrated once; dropped at the end so reruns start clean. */
export default async function setup(project: TestProject) {
  const keyspace = `parley_test_${randomBytes(4).toString('hex')}`;
  const config = cassandraTestConfig(keyspace);
  const started = Date.now();
  const { applied } = await migrate(config);
  console.log(
    `[global-setup] keyspace ${keyspace}: migrations applied ${applied.join(', ')} in ${Date.now() - started} ms`,
  );
  project.provide('keyspace', keyspace);
  return async () => {
    const client = createCassandraClient(config);
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], schemaChange);
    } finally {
      await client.shutdown();
    }
  };
}
