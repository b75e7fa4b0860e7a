import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import {
  migrate,
  MigrationError,
  readMigrations,
  schemaChange,
} from '../../src/storage/cassandra/migrator';
import { cassandraTestConfig } from '../helpers/services';

describe('migrator (real Cassandra)', () => {
  const keyspace = `parley_migr_${randomBytes(4).toString('hex')}`;
  const config = cassandraTestConfig(keyspace);
  afterAll(async () => {
    const client = createCassandraClient(config);
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], schemaChange);
    await client.shutdown();
  });

  it('applies migrations in order once, records them, and refuses an edited one', async () => {
    const files = await readMigrations();
    expect(files.length).toBeGreaterThan(0);
    const first = await migrate(config);
    expect(first.applied).toEqual(files.map((f) => f.version));
    const second = await migrate(config);
    expect(second).toEqual({ applied: [], skipped: files.map((f) => f.version) });

    const client = createCassandraClient(config, keyspace);
    const rows = (await client.execute('SELECT version FROM schema_migrations')).rows.map((r) =>
      r.get('version'),
    );
    expect(rows.sort()).toEqual(files.map((f) => f.version));
    const tables = await client.execute(
      'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
      [keyspace],
    );
    expect(tables.rows.map((r) => r.get('table_name'))).toContain('messages');
    await client.shutdown();

    const edited = files.map((f, i) => (i === 0 ? { ...f, checksum: 'different' } : f));
    await expect(migrate(config, undefined, edited)).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(config, undefined, edited)).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it('uses the configured replication', async () => {
    const client = createCassandraClient(config);
    const row = (
      await client.execute(
        'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
        [keyspace],
      )
    ).first();
    expect(row?.get('replication')).toMatchObject({
      class: 'org.apache.cassandra.locator.SimpleStrategy',
      replication_factor: '1',
    });
    await client.shutdown();
  });
});
