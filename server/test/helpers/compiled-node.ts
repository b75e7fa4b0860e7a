import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { imageRuntime, repoRoot } from './dockerfile';
import { testServices } from './services';

let built: Promise<unknown> | undefined;

/**
 * `npm run build` once per test file: contract + server to dist/, as the image does.
 * scripts/test.sh builds once before vitest and says so in PARLEY_TEST_BUILT.
 */
export function buildOnce(): Promise<unknown> {
  if (process.env.PARLEY_TEST_BUILT === '1') return Promise.resolve();
  built ??= promisify(execFile)('npm', ['run', 'build'], { cwd: repoRoot, timeout: 120_000 });
  return built;
}

/**
 * The deployment env of a cluster node on the test services: its own Redis key prefix and
 * signing key (share one result between nodes of one cluster), cheap argon2, any port.
 */
export function clusterNodeEnv(keyspace: string, extra: Record<string, string> = {}) {
  const services = testServices();
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    // REDIS_URL, or REDIS_CLUSTER_NODES under `npm run test:redis-cluster`.
    ...services.redisEnv,
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
    CASSANDRA_CONTACT_POINTS: services.cassandraContactPoints.join(','),
    CASSANDRA_KEYSPACE: keyspace,
    JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    CORS_ORIGINS: 'http://localhost',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    ...extra,
  };
}

export interface CompiledNode {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Parsed JSON log lines so far (pino). */
  logs(): Record<string, unknown>[];
  output(): string;
}

/**
 * Starts the compiled server exactly as the image's CMD does (`node server/dist/main.js` from
 * the app's root, with the image's ENV), plus the deployment's env. Resolves on the
 * "parley listening on" line.
 */
export async function startCompiledNode(env: Record<string, string>): Promise<CompiledNode> {
  const runtime = imageRuntime();
  const [command, ...args] = runtime.cmd;
  if (command !== 'node') throw new Error(`image CMD does not start node directly: ${command}`);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...runtime.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  // 'close', not 'exit': 'exit' can come before the last of the child's output has been
  // read from its pipes, and the tests read the final log lines once it has exited.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /parley listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match?.[1]) {
        child.stdout.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`node exited (${code}) before listening:\n${output}`)),
    );
  });
  return { child, url, exited, logs, output: () => output };
}
