import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseAddressMap, sharedNativePort } from './contact-points';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const redisUrl = z
  .url()
  .refine((u) => /^rediss?:\/\//.test(u), 'must start with redis:// or rediss://');
const contactPoint = z
  .string()
  .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be host or host:port, comma separated');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  NODE_ID: z.string().min(1).max(64).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: redisUrl.optional(),
  /**
   * Seed nodes of a Redis Cluster (comma-separated redis:// URLs). Set instead of
   * REDIS_URL to run against Redis Cluster; the client discovers the other nodes.
   */
  REDIS_CLUSTER_NODES: csv.pipe(z.array(redisUrl).min(1)).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(64).default('parley:'),
  REDIS_ADAPTER: z.enum(['sharded', 'classic']).default('sharded'),

  CASSANDRA_CONTACT_POINTS: csv.pipe(z.array(contactPoint).min(1)).optional(),
  /** `advertised=dial,...`: where to dial each node the driver learns about (NAT, proxies). */
  CASSANDRA_ADDRESS_MAP: z.string().optional(),
  CASSANDRA_LOCAL_DC: z.string().min(1).default('datacenter1'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'lowercase letters, digits and _, up to 48 chars')
    .default('parley'),
  CASSANDRA_REPLICATION_STRATEGY: z
    .enum(['SimpleStrategy', 'NetworkTopologyStrategy'])
    .default('SimpleStrategy'),
  CASSANDRA_REPLICATION_FACTOR: positiveInt.max(9).default(1),
  CASSANDRA_USERNAME: z.string().min(1).optional(),
  CASSANDRA_PASSWORD: z.string().min(1).optional(),

  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  JWT_KEY_ID: z.string().min(1).max(64).default('k1'),
  /** JSON object {kid: publicKeyPem} of older keys still accepted on verify. */
  JWT_PREVIOUS_PUBLIC_KEYS: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default('parley'),
  JWT_AUDIENCE: z.string().min(1).default('parley-clients'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 86_400),
  AUTH_EXPIRY_GRACE_MS: positiveInt.default(10_000),

  ARGON2_MEMORY_KIB: positiveInt.min(8_192).default(19_456),
  ARGON2_TIME_COST: positiveInt.max(10).default(2),
  ARGON2_PARALLELISM: positiveInt.max(16).default(1),

  LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt.default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: positiveInt.default(100),
  LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt.default(900),
  MESSAGES_PER_USER_PER_10S: positiveInt.default(50),
  EDITS_PER_USER_PER_10S: positiveInt.default(20),
  ROOMS_CREATED_PER_USER_PER_HOUR: positiveInt.default(30),
  /**
   * Client address behind load balancers: how many proxy hops in front of the node to trust
   * (X-Forwarded-For is read from the right, skipping that many), and/or which proxy
   * addresses/CIDRs to trust. Unset: the TCP peer is the client, the header is ignored.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).optional(),
  TRUSTED_PROXIES: csv.optional(),
  /** Removed: it trusted every hop, so any client could spoof its address ("false" is ignored). */
  TRUST_PROXY: z.string().optional(),
  /**
   * How long a socket trusts its cached room membership before it re-checks Cassandra on the
   * next request for that room (0 = on every request). Bounds how long a lost revocation
   * broadcast can let a removed member act.
   */
  AUTHZ_RECHECK_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /**
   * Frames one socket is sent within one tick leave in one syscall (realtime/coalesce-writes.ts).
   * On by default; `false` is for measuring what it saves.
   */
  SOCKET_COALESCE_WRITES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Who may see a user's presence and last-seen: users sharing a room with them, or anyone. */
  PRESENCE_VISIBILITY: z.enum(['shared-room', 'everyone']).default('shared-room'),
  /** /metrics: served on this separate port (bound to METRICS_HOST), not on the public one. */
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** /metrics on the public port requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16).optional(),

  CORS_ORIGINS: csv.optional(),
  MAX_HTTP_BODY_BYTES: positiveInt.default(64 * 1024),
  MAX_SOCKET_PAYLOAD_BYTES: positiveInt.default(64 * 1024),

  PRESENCE_TTL_SECONDS: positiveInt.max(300).default(30),
  PRESENCE_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  DRAIN_TIMEOUT_MS: positiveInt.default(10_000),
  /** How long a draining node keeps serving with /readyz failing, so load balancers notice first. */
  DRAIN_LB_DELAY_MS: z.coerce.number().int().min(0).max(120_000).optional(),

  // OpenTelemetry's standard variables. We read only those that decide whether tracing is
  // on; the SDK reads the rest (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER...) itself.
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  OTEL_TRACES_EXPORTER: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('parley'),

  // The send path (docs/architecture.md, "The send path").
  SEND_DEDUPE_WINDOW_SECONDS: positiveInt.min(60).max(86_400).default(600),
  SEND_SETTLE_TIMEOUT_MS: positiveInt.min(1_000).max(600_000).default(30_000),
  SEND_RESEED_QUIET_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
  /** An admin account made (or promoted) at boot; see docs/configuration.md. */
  PARLEY_ADMIN_USERNAME: z.string().min(1).max(64).optional(),
  PARLEY_ADMIN_PASSWORD: z.string().min(1).max(256).optional(),
  /** The built web app (chat + admin console); default: the repository's web/dist. */
  WEB_DIR: z.string().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  nodeId: string;
  logLevel: Env['LOG_LEVEL'];
  engine: 'embedded' | 'cluster';
  redis?: {
    url: string;
    /** Redis Cluster seed URLs; when set, `url` is the first of them. */
    clusterNodes?: string[];
    keyPrefix: string;
    adapter: 'sharded' | 'classic';
  };
  cassandra?: {
    contactPoints: string[];
    /** Native port of every node (from the contact points); the driver's default is 9042. */
    port?: number;
    /** Advertised address (`host` or `host:port`) → address to dial (`host:port`). */
    addressMap?: Record<string, string>;
    localDataCenter: string;
    keyspace: string;
    replication: { strategy: 'SimpleStrategy' | 'NetworkTopologyStrategy'; factor: number };
    credentials?: { username: string; password: string };
  };
  jwt: {
    privateKeyPem?: string;
    keyId: string;
    previousPublicKeys: Record<string, string>;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    expiryGraceMs: number;
  };
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  limits: {
    loginMaxFailuresPerAccount: number;
    loginMaxAttemptsPerIp: number;
    loginWindowSeconds: number;
    messagesPer10s: number;
    editsPer10s: number;
    roomsCreatedPerHour: number;
    maxHttpBodyBytes: number;
    maxSocketPayloadBytes: number;
  };
  /**
   * Express `trust proxy`: false (no proxy: the TCP peer is the client), a hop count, or the
   * proxies' addresses/CIDRs. Never `true`: that trusts a client-supplied X-Forwarded-For.
   */
  trustProxy: false | number | string[];
  authzRecheckMs: number;
  presenceVisibility: 'shared-room' | 'everyone';
  /** Cork each socket for the rest of the tick at its first packet (one syscall per tick). */
  coalesceSocketWrites: boolean;
  metrics: { port?: number; host: string; token?: string };
  /** undefined = any origin (development only). */
  corsOrigins?: string[];
  presenceTtlSeconds: number;
  /** How long a user whose last socket closed still counts as online (absorbs reconnects). */
  presenceGraceMs: number;
  drainTimeoutMs: number;
  /** Serve on with /readyz at 503 this long before moving clients (the LB's notice time). */
  drainLbDelayMs: number;
  /** Off unless an OTEL exporter or endpoint is configured (and OTEL_SDK_DISABLED is not set). */
  tracing: { enabled: boolean; serviceName: string };
  send: {
    /** How long a retry is deduplicated from Redis alone (the binding's TTL). */
    dedupeWindowSeconds: number;
    /** An uncertain write's seq is settled after this long even if no retry landed it. */
    settleTimeoutMs: number;
    /** After Redis lost a room's counter, retries without a binding wait this long. */
    reseedQuietMs: number;
  };
  /**
   * Boot-time admin. On the embedded engine a node always makes one (a generated one-time
   * password when none is given); a cluster node only when both are set.
   */
  admin: { username?: string; password?: string };
  /** Where the built web app lives; undefined = the repository's web/dist. */
  webDir?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The only reader of process.env: validates everything up front and names each bad setting. */
export function loadConfig(
  source: Record<string, string | undefined>,
  /** 'tool' = a command-line tool (migrate, admin:create) that may use Cassandra alone. */
  role: 'node' | 'tool' = 'node',
): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const env = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  ) as Record<string, string>;
  const fileProblems = readSecretFiles(env);
  if (fileProblems.length > 0) throw new ConfigError(fileProblems);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];

  const hasRedis = Boolean(e.REDIS_URL ?? e.REDIS_CLUSTER_NODES);
  if (e.REDIS_URL && e.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_URL / REDIS_CLUSTER_NODES: set one of them, not both');
  }
  if (role === 'node' && hasRedis !== Boolean(e.CASSANDRA_CONTACT_POINTS)) {
    problems.push(
      'REDIS_URL / CASSANDRA_CONTACT_POINTS: set both for a cluster node, or neither for the embedded engine',
    );
  }
  let previousPublicKeys: Record<string, string> = {};
  if (e.JWT_PREVIOUS_PUBLIC_KEYS) {
    const keys = z
      .record(z.string(), z.string().min(1))
      .safeParse(safeJson(e.JWT_PREVIOUS_PUBLIC_KEYS));
    if (keys.success) previousPublicKeys = keys.data;
    else
      problems.push('JWT_PREVIOUS_PUBLIC_KEYS: must be a JSON object of {"kid": "PEM public key"}');
  }
  if (e.NODE_ENV === 'production' && role === 'node') {
    if (!e.JWT_PRIVATE_KEY) {
      problems.push('JWT_PRIVATE_KEY: required in production (an EC P-256 private key in PEM)');
    }
    if (!e.CORS_ORIGINS)
      problems.push('CORS_ORIGINS: required in production (comma-separated origins)');
    if (!hasRedis)
      problems.push('REDIS_URL: production needs the cluster engine (Redis + Cassandra)');
  }
  // "false" asks for what is now the default, so it can stay in old deployment files.
  if (e.TRUST_PROXY !== undefined && !['false', '0', 'no'].includes(e.TRUST_PROXY)) {
    problems.push(
      'TRUST_PROXY: removed (it trusted every hop, so clients could spoof their address); set TRUST_PROXY_HOPS (e.g. 1 behind one load balancer) or TRUSTED_PROXIES (addresses/CIDRs)',
    );
  }
  if (e.TRUST_PROXY_HOPS !== undefined && e.TRUSTED_PROXIES !== undefined) {
    problems.push('TRUST_PROXY_HOPS / TRUSTED_PROXIES: set one of them, not both');
  }
  for (const entry of e.TRUSTED_PROXIES ?? []) {
    if (!isAddressOrCidr(entry))
      problems.push(`TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an IP address or CIDR`);
  }
  if (e.JWT_PRIVATE_KEY) {
    const keyProblem = checkSigningKey(e.JWT_PRIVATE_KEY);
    if (keyProblem) problems.push(`JWT_PRIVATE_KEY: ${keyProblem}`);
  }
  let addressMap: Record<string, string> | undefined;
  if (e.CASSANDRA_ADDRESS_MAP) {
    const parsedMap = parseAddressMap(e.CASSANDRA_ADDRESS_MAP);
    if ('problem' in parsedMap) problems.push(`CASSANDRA_ADDRESS_MAP: ${parsedMap.problem}`);
    else addressMap = parsedMap.map;
  }
  const nativePort = e.CASSANDRA_CONTACT_POINTS
    ? sharedNativePort(e.CASSANDRA_CONTACT_POINTS)
    : undefined;
  // With an address map, each node's dial address (and port) comes from the map instead.
  if (e.CASSANDRA_CONTACT_POINTS && nativePort === undefined && !addressMap) {
    problems.push(
      'CASSANDRA_CONTACT_POINTS: every contact point must use the same port (a missing port means 9042): ' +
        'the driver reaches the nodes it discovers on that one port',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const redisUrl = e.REDIS_URL ?? e.REDIS_CLUSTER_NODES?.[0];
  const cluster = Boolean(redisUrl && e.CASSANDRA_CONTACT_POINTS);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    nodeId: e.NODE_ID ?? `node-${Math.random().toString(36).slice(2, 8)}`,
    logLevel: e.LOG_LEVEL,
    engine: cluster ? 'cluster' : 'embedded',
    redis: redisUrl
      ? {
          url: redisUrl,
          clusterNodes: e.REDIS_CLUSTER_NODES,
          keyPrefix: e.REDIS_KEY_PREFIX,
          adapter: e.REDIS_ADAPTER,
        }
      : undefined,
    cassandra: e.CASSANDRA_CONTACT_POINTS
      ? {
          contactPoints: e.CASSANDRA_CONTACT_POINTS,
          port: nativePort,
          addressMap,
          localDataCenter: e.CASSANDRA_LOCAL_DC,
          keyspace: e.CASSANDRA_KEYSPACE,
          replication: {
            strategy: e.CASSANDRA_REPLICATION_STRATEGY,
            factor: e.CASSANDRA_REPLICATION_FACTOR,
          },
          credentials:
            e.CASSANDRA_USERNAME && e.CASSANDRA_PASSWORD
              ? { username: e.CASSANDRA_USERNAME, password: e.CASSANDRA_PASSWORD }
              : undefined,
        }
      : undefined,
    jwt: {
      privateKeyPem: e.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n'),
      keyId: e.JWT_KEY_ID,
      previousPublicKeys,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      expiryGraceMs: e.AUTH_EXPIRY_GRACE_MS,
    },
    argon2: {
      memoryCost: e.ARGON2_MEMORY_KIB,
      timeCost: e.ARGON2_TIME_COST,
      parallelism: e.ARGON2_PARALLELISM,
    },
    limits: {
      loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginMaxAttemptsPerIp: e.LOGIN_MAX_ATTEMPTS_PER_IP,
      loginWindowSeconds: e.LOGIN_THROTTLE_WINDOW_SECONDS,
      messagesPer10s: e.MESSAGES_PER_USER_PER_10S,
      editsPer10s: e.EDITS_PER_USER_PER_10S,
      roomsCreatedPerHour: e.ROOMS_CREATED_PER_USER_PER_HOUR,
      maxHttpBodyBytes: e.MAX_HTTP_BODY_BYTES,
      maxSocketPayloadBytes: e.MAX_SOCKET_PAYLOAD_BYTES,
    },
    trustProxy: e.TRUSTED_PROXIES ?? (e.TRUST_PROXY_HOPS ? e.TRUST_PROXY_HOPS : false),
    authzRecheckMs: e.AUTHZ_RECHECK_MS,
    presenceVisibility: e.PRESENCE_VISIBILITY,
    coalesceSocketWrites: e.SOCKET_COALESCE_WRITES,
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    corsOrigins: e.CORS_ORIGINS,
    presenceTtlSeconds: e.PRESENCE_TTL_SECONDS,
    presenceGraceMs: e.PRESENCE_GRACE_MS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    // Production sits behind a load balancer; a development node or a test stops at once.
    drainLbDelayMs: e.DRAIN_LB_DELAY_MS ?? (e.NODE_ENV === 'production' ? 5_000 : 0),
    tracing: {
      enabled:
        !e.OTEL_SDK_DISABLED &&
        (Boolean(e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ||
          (e.OTEL_TRACES_EXPORTER !== undefined && e.OTEL_TRACES_EXPORTER !== 'none')),
      serviceName: e.OTEL_SERVICE_NAME,
    },
    send: {
      dedupeWindowSeconds: e.SEND_DEDUPE_WINDOW_SECONDS,
      settleTimeoutMs: e.SEND_SETTLE_TIMEOUT_MS,
      reseedQuietMs: e.SEND_RESEED_QUIET_MS,
    },
    admin: { username: e.PARLEY_ADMIN_USERNAME, password: e.PARLEY_ADMIN_PASSWORD },
    webDir: e.WEB_DIR,
  };
}

/** Settings that may come from a file instead (Docker and Kubernetes secrets): NAME_FILE. */
const SECRET_SETTINGS = [
  'JWT_PRIVATE_KEY',
  'JWT_PREVIOUS_PUBLIC_KEYS',
  'REDIS_URL',
  'CASSANDRA_USERNAME',
  'CASSANDRA_PASSWORD',
] as const;

/** Fills NAME from the file NAME_FILE points at; the variable itself wins when both are set. */
function readSecretFiles(env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const name of SECRET_SETTINGS) {
    const file = env[`${name}_FILE`];
    if (!file || env[name] !== undefined) continue;
    try {
      env[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch {
      problems.push(`${name}_FILE: cannot read ${file}`);
    }
  }
  return problems;
}

/**
 * An IPv4/IPv6 address, optionally with a /prefix, or one of proxy-addr's named ranges
 * (express hands the list to proxy-addr).
 */
function isAddressOrCidr(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Refuses anything but an EC P-256 private key, the only algorithm (ES256) we sign with. */
function checkSigningKey(pem: string): string | undefined {
  try {
    const key = createPrivateKey(pem.replace(/\\n/g, '\n'));
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      return 'must be an EC P-256 private key (ES256)';
    }
    return undefined;
  } catch {
    return 'is not a readable PEM private key';
  }
}
