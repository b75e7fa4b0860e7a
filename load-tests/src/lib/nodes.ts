import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';

export interface ServerNode {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Last lines the node printed, for error reports. */
  tail: string[];
}

/** An EC P-256 key shared by every node, so a token from one node is valid on all. */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * A benchmark node's settings: it logs only boot and shutdown (the boot line carries the
 * URL), hashes cheaply and has no per-IP or per-user limits, since every client is
 * 127.0.0.1 and registering 1,000 users with the OWASP argon2 parameters takes minutes on
 * 2 cores and measures argon2, not fan-out. Never use these values in production.
 */
export function benchServerEnv(redisKeyPrefix: string): Record<string, string> {
  return {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    ARGON2_PARALLELISM: '1',
    LOGIN_MAX_ATTEMPTS_PER_IP: '10000000',
    MESSAGES_PER_USER_PER_10S: '10000000',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    REDIS_KEY_PREFIX: redisKeyPrefix,
  };
}

/** Variables the harness owns: anything the caller's shell set for them is replaced. */
export function nodeEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (
      /^(REDIS_|CASSANDRA_|JWT_|ARGON2_|LOGIN_|MESSAGES_|PORT$|HOST$|NODE_ID$|LOG_LEVEL$)/.test(key)
    )
      delete env[key];
  }
  return { ...env, ...overrides };
}

/** Runs `node --import tsx <script>` and resolves once it prints the "parley listening on" line. */
export function startNode(
  name: string,
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  /** Extra node flags, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs: string[] = [],
): Promise<ServerNode> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${tail.join('\n')}`));
    }, timeoutMs);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        remember(line);
        const match = /parley listening on (https?:\/\/[^\s"]+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ name, url: match[1], pid: child.pid as number, child, tail });
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${tail.join('\n')}`));
    });
  });
}

/** SIGTERM (the node drains), then SIGKILL whatever is still alive after `graceMs`. */
export async function stopNodes(nodes: ServerNode[], graceMs = 5_000) {
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            node.child.kill('SIGKILL');
            resolve();
          }, graceMs);
          node.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          node.child.kill('SIGTERM');
        }),
    ),
  );
}

/** Applies the migrations to the bench keyspace with the server's own migrate command. */
export function migrate(repoRoot: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/src/storage/cassandra/migrate-cli.ts'],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`migrate failed (${code}):\n${out}`));
    });
  });
}
