import { ConfigError, loadConfig } from '../../config/load-config';
import { migrate } from './migrator';

/** `npm run migrate`: applies cassandra/migrations to the configured keyspace. */
function readConfig() {
  try {
    return loadConfig(process.env, 'tool');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}
const config = readConfig();
if (!config.cassandra) {
  console.error(
    'CASSANDRA_CONTACT_POINTS is not set: nothing to migrate (the embedded engine has no schema).',
  );
  process.exit(2);
}
try {
  const { applied, skipped } = await migrate(config.cassandra, (line) => console.log(line));
  console.log(`migrations: ${applied.length} applied, ${skipped.length} already applied`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
