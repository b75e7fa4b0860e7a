import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/load-config';
import { type CassandraClient, createCassandraClient, prepared } from './cassandra-client';

type CassandraConfig = NonNullable<Config['cassandra']>;

/**
 * `cassandra/migrations` in the nearest folder above this module that has one: the same
 * answer from the TypeScript source (server/src/storage/cassandra) and from the bundled
 * build (server/dist), in a checkout and in the image.
 */
export const MIGRATIONS_DIR = findUp(path.dirname(fileURLToPath(import.meta.url)));

function findUp(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'cassandra', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(from, '../../../../cassandra/migrations');
  }
}

export interface Migration {
  version: string;
  checksum: string;
  statements: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Reads `NNNN_name.cql` files in order and splits them into statements. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.cql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(dir, file), 'utf8');
      return {
        version: file.replace(/\.cql$/, ''),
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(text),
      };
    }),
  );
}

export function splitStatements(cql: string): string[] {
  return cql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function keyspaceDdl(config: CassandraConfig): string {
  const { strategy, factor } = config.replication;
  const replication =
    strategy === 'SimpleStrategy'
      ? `{'class': 'SimpleStrategy', 'replication_factor': ${factor}}`
      : `{'class': 'NetworkTopologyStrategy', '${config.localDataCenter}': ${factor}}`;
  return `CREATE KEYSPACE IF NOT EXISTS ${config.keyspace} WITH replication = ${replication}`;
}

/**
 * Creates the keyspace, then applies pending migrations in order and records each in
 * `schema_migrations`. Refuses to continue when an applied file changed since:
 * history must not be rewritten.
 */
/**
 * Schema changes wait for every node to agree on the new schema, which takes seconds on a
 * busy cluster: far past the 6 s read timeout that suits data queries. A DDL that timed
 * out may still be applied; every statement here is idempotent, so a rerun is safe.
 */
export const schemaChange = { readTimeout: 60_000 } as const;

export async function migrate(
  config: CassandraConfig,
  log: (line: string) => void = () => undefined,
  migrations?: Migration[],
): Promise<{ applied: string[]; skipped: string[] }> {
  const admin = createCassandraClient(config);
  try {
    await admin.execute(keyspaceDdl(config), [], schemaChange);
  } finally {
    await admin.shutdown();
  }
  const client = createCassandraClient(config, config.keyspace);
  try {
    return await applyMigrations(client, migrations ?? (await readMigrations()), log);
  } finally {
    await client.shutdown();
  }
}

async function applyMigrations(
  client: CassandraClient,
  migrations: Migration[],
  log: (line: string) => void,
) {
  await client.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, checksum text, applied_at timestamp)',
    [],
    schemaChange,
  );
  const done = new Map<string, string>();
  const rs = await client.execute('SELECT version, checksum FROM schema_migrations', [], prepared);
  for (const row of rs.rows) done.set(String(row.get('version')), String(row.get('checksum')));

  const result = { applied: [] as string[], skipped: [] as string[] };
  for (const m of migrations) {
    const previous = done.get(m.version);
    if (previous !== undefined) {
      if (previous !== m.checksum) {
        throw new MigrationError(
          `migration ${m.version} changed after it was applied (checksum ${previous.slice(0, 12)} -> ${m.checksum.slice(0, 12)}); add a new migration instead of editing it`,
        );
      }
      result.skipped.push(m.version);
      continue;
    }
    // DDL statements are idempotent (IF NOT EXISTS), so a run that died halfway can rerun.
    for (const statement of m.statements) await client.execute(statement, [], schemaChange);
    await client.execute(
      'INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?, ?, ?)',
      [m.version, m.checksum, new Date()],
      prepared,
    );
    result.applied.push(m.version);
    log(
      `applied migration ${m.version} (${m.statements.length} statements) to keyspace ${client.keyspace}`,
    );
  }
  return result;
}
