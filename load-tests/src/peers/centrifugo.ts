/**
 * Centrifugo v6.9.1 for the peer bench: built from the Go module proxy into
 * load-tests/.cache/bin when missing, configured by a generated file per node.
 *
 * Auth: connection JWTs (HS256) signed with an HMAC secret generated at run time, and an
 * HTTP API key generated the same way; neither is written anywhere but the throwaway
 * config files under load-tests/.cache/centrifugo/<run>/ (deleted at the end).
 * Subscribers use the JSON protocol over /connection/websocket; publishers use the HTTP
 * API (POST /api/publish), which acks after the publication is in history.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CENTRIFUGO_MODULE = 'github.com/centrifugal/centrifugo/v6';
export const CENTRIFUGO_VERSION = 'v6.9.1';
export const CHANNEL = 'chat:room';
/** Room r's channel (room 0 is CHANNEL), for benches with several rooms. */
export const channelFor = (room: number) => (room === 0 ? CHANNEL : `${CHANNEL}${room}`);

export function ensureCentrifugo(cacheDir: string, log: (line: string) => void): string {
  const binDir = join(cacheDir, 'bin');
  const bin = join(binDir, 'centrifugo');
  // `go install` does not stamp `centrifugo version` (it says 0.0.0); the module version
  // recorded in the binary's build info is the reliable one.
  const versionOk = () => {
    try {
      const info = execFileSync('go', ['version', '-m', bin], { encoding: 'utf8' });
      return new RegExp(`\\smod\\s+${CENTRIFUGO_MODULE}\\s+${CENTRIFUGO_VERSION}\\s`).test(info);
    } catch {
      return false;
    }
  };
  if (existsSync(bin) && versionOk()) return bin;
  log(`building Centrifugo ${CENTRIFUGO_VERSION} with go install (a few minutes the first time)`);
  mkdirSync(binDir, { recursive: true });
  execFileSync('go', ['install', `${CENTRIFUGO_MODULE}@${CENTRIFUGO_VERSION}`], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 30 * 60_000,
  });
  if (!versionOk()) throw new Error(`go install did not produce ${bin}`);
  return bin;
}

export interface CentrifugoSecrets {
  hmacSecret: string;
  apiKey: string;
}

export const newSecrets = (): CentrifugoSecrets => ({
  hmacSecret: randomBytes(32).toString('hex'),
  apiKey: randomBytes(24).toString('hex'),
});

/** A connection token: HS256 JWT with `sub` and `exp`, signed with the run's secret. */
export function connectionToken(secret: string, userId: string, ttlSeconds = 86_400): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    sub: userId,
    exp: Math.floor(Date.now() / 1000) + ttlSeconds,
  })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export interface CentrifugoNode {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  tail: string[];
}

export function centrifugoConfig(
  secrets: CentrifugoSecrets,
  port: number,
  redisUrl?: string,
  redisPrefix?: string,
) {
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'error' },
    // /health answers once the node serves; the bench waits on it.
    health: { enabled: true },
    // The generator sends no Origin header, so no allowed_origins are needed.
    client: { token: { hmac_secret_key: secrets.hmacSecret } },
    http_api: { key: secrets.apiKey },
    channel: {
      namespaces: [
        {
          name: 'chat',
          allow_subscribe_for_client: true,
          // History on, like Parley's rooms (Centrifugo keeps it in the engine's memory).
          history_size: 1000,
          history_ttl: '600s',
        },
      ],
    },
    engine: redisUrl
      ? { type: 'redis', redis: { address: [redisUrl], prefix: redisPrefix ?? 'cfbench' } }
      : { type: 'memory' },
  };
}

export async function startCentrifugo(
  bin: string,
  workDir: string,
  name: string,
  config: ReturnType<typeof centrifugoConfig>,
): Promise<CentrifugoNode> {
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  const child = spawn(bin, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (c: Buffer) => {
    for (const line of c.toString().split('\n')) if (line) tail.push(line);
    while (tail.length > 40) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${config.http_server.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited (${child.exitCode}):\n${tail.join('\n')}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer /health in 30 s:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, url, pid: child.pid as number, child, tail };
}

/** Publishes through the HTTP API; resolves when Centrifugo answered (stored + broadcast). */
export async function publish(node: CentrifugoNode, apiKey: string, body: string, room = 0) {
  const res = await fetch(`${node.url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ channel: channelFor(room), data: { body } }),
  });
  const reply = (await res.json()) as { error?: { message: string } };
  if (!res.ok || reply.error)
    throw new Error(`publish: ${res.status} ${reply.error?.message ?? ''}`);
}

/** One history page (newest `limit` publications), like a client catching up. */
export async function history(node: CentrifugoNode, apiKey: string, limit: number, room = 0) {
  const res = await fetch(`${node.url}/api/history`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ channel: channelFor(room), limit, reverse: true }),
  });
  if (!res.ok) throw new Error(`history: ${res.status}`);
  await res.json();
}

export function removeWorkDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}
