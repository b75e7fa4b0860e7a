import { ConfigError, loadConfig } from '../config/load-config';
import { AppError } from '../errors';
import { createCassandraClient } from '../storage/cassandra/cassandra-client';
import { createCassandraStores } from '../storage/cassandra/cassandra-stores';
import { createOrPromoteAdmin } from './admin-create';
import { createPasswordHasher } from './password-hasher';

/**
 * `npm run admin:create -- <username>`: creates an admin in the cluster's Cassandra, or
 * promotes an existing account. The password comes from PARLEY_ADMIN_PASSWORD or stdin;
 * there is no default admin password anywhere.
 *
 * Exit codes: 0 done, 1 the store failed, 2 bad usage, input or configuration.
 */
const USAGE =
  'usage: npm run admin:create -- <username>   (password from stdin or PARLEY_ADMIN_PASSWORD)';

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.includes('-h') || args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const [username, ...extra] = args;
  if (username === undefined || extra.length > 0) return fail(2, USAGE);

  const config = readConfig();
  if (!config) return 2;
  if (!config.cassandra) {
    return fail(
      2,
      'CASSANDRA_CONTACT_POINTS is not set. The embedded engine keeps users in memory, so an admin ' +
        'created here would vanish; point this command at the cluster (CASSANDRA_CONTACT_POINTS, CASSANDRA_KEYSPACE).',
    );
  }

  const client = createCassandraClient(config.cassandra, config.cassandra.keyspace);
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    return fail(
      1,
      `cannot reach Cassandra at ${config.cassandra.contactPoints.join(',')} (keyspace ` +
        `${config.cassandra.keyspace}): ${describe(err)}. Is it running and migrated (npm run migrate)?`,
    );
  }
  try {
    const { outcome, user } = await createOrPromoteAdmin(
      { stores: createCassandraStores(client), hasher: createPasswordHasher(config.argon2) },
      username,
      () => readPassword(config.admin.password),
    );
    const text = {
      created: `created admin "${user.username}" (${user.id})`,
      promoted: `promoted existing user "${user.username}" (${user.id}) to admin; password unchanged`,
      'already-admin': `"${user.username}" (${user.id}) is already an admin; nothing changed`,
    }[outcome];
    console.log(text);
    return 0;
  } catch (err) {
    if (err instanceof AppError) return fail(2, err.message);
    return fail(1, `admin:create failed: ${describe(err)}`);
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

function readConfig() {
  try {
    // 'tool': this command only writes to Cassandra, so Redis may be unset.
    return loadConfig(process.env, 'tool');
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return undefined;
    }
    throw err;
  }
}

async function readPassword(fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) return promptHidden('admin password: ');
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  // `echo secret | npm run admin:create` adds a newline that is not part of the password.
  return text.replace(/\r?\n$/, '');
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\u0003') {
          done();
          reject(new AppError('VALIDATION', 'cancelled'));
          return;
        }
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** First line only: driver messages can embed whole inner errors with their stacks. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').replace(/\.$/, '');
}

function fail(code: number, message: string): number {
  console.error(message);
  return code;
}

process.exitCode = await main();
