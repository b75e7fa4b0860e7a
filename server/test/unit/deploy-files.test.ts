import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerfileStages, imageRuntime, repoRoot } from '../helpers/dockerfile';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const json = (file: string) => JSON.parse(read(file)) as Record<string, unknown>;

// No Docker engine on the development machines: the image is checked from its Dockerfile,
// and server/test/deploy/compiled-drain.test.ts runs its CMD with its ENV.
describe('Dockerfile', () => {
  const stages = dockerfileStages();

  it('builds in stages on one pinned Node LTS base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      // Full version tag: node:24.x.y-<debian>-slim. Node 24 is LTS; 20 left support 2026-04-30.
      expect(stage.image).toMatch(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    }
    expect(new Set(stages.map((s) => s.image)).size).toBe(1);
  });

  it('runs node itself as PID 1, as a non-root user, with production settings', () => {
    const runtime = imageRuntime();
    expect(runtime.cmd).toEqual(['node', 'server/dist/main.js']);
    expect(runtime.user).not.toMatch(/^(root|0)$/);
    expect(runtime.env.NODE_ENV).toBe('production');
  });

  it('ships no dev dependencies and no TypeScript runtime', () => {
    const runtime = imageRuntime().stage.instructions.map(
      (i) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ''}`,
    );
    // The runtime stage installs nothing: it copies the production-only node_modules.
    expect(runtime.filter((line) => line.startsWith('RUN'))).toEqual([]);
    const copiesDeps = imageRuntime().stage.instructions.some((i) => {
      const flags = (i as unknown as { getFlags(): { getName(): string; getValue(): string }[] })
        .getFlags?.()
        .map((f) => `${f.getName()}=${f.getValue()}`);
      return (
        i.getKeyword() === 'COPY' &&
        flags?.includes('from=deps') &&
        /node_modules/.test(i.getArgumentsContent() ?? '')
      );
    });
    expect(copiesDeps).toBe(true);
    const deps = stages.find((s) => s.name === 'deps')!;
    const install = deps.instructions.find((i) => i.getKeyword() === 'RUN')!;
    expect(install.getArgumentsContent()).toMatch(/npm ci --omit=dev/);
    const server = json('server/package.json') as { dependencies: Record<string, string> };
    for (const dev of ['tsx', 'typescript', 'tsup', 'vitest']) {
      expect(server.dependencies[dev], dev).toBeUndefined();
    }
  });

  it('the contract package exports built JavaScript with its types', () => {
    const contract = json('contract/package.json') as {
      exports: { '.': { types: string; default: string } };
    };
    expect(contract.exports['.']).toEqual({
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
  });
});

describe('docker-compose.yml', () => {
  // `<<:` merge keys (YAML 1.1), as docker compose reads them.
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        environment?: Record<string, string>;
        stop_grace_period?: string;
        volumes?: string[];
      }
    >;
    volumes: Record<string, unknown>;
  };

  it('keeps one signing key across `up`s and reads it as a file', () => {
    expect(Object.keys(compose.volumes)).toContain('jwt-key');
    expect(compose.services.keygen?.command?.join('\n')).toMatch(/existsSync/);
    for (const name of ['node1', 'node2', 'node3']) {
      const env = compose.services[name]!.environment!;
      expect(env.JWT_PRIVATE_KEY_FILE).toBeDefined();
      expect(env.JWT_PRIVATE_KEY).toBeUndefined();
    }
  });

  it('gives every node more time to stop than its drain takes, and migrates with the compiled CLI', () => {
    for (const name of ['node1', 'node2', 'node3']) {
      const node = compose.services[name]!;
      const drainMs =
        Number(node.environment!.DRAIN_LB_DELAY_MS) + Number(node.environment!.DRAIN_TIMEOUT_MS);
      expect(Number(node.stop_grace_period!.replace(/s$/, '')) * 1000).toBeGreaterThan(drainMs);
    }
    expect(compose.services.migrate?.command).toEqual(['node', 'server/dist/migrate-cli.js']);
  });
});

describe('HAProxy configs', () => {
  for (const file of ['ops/haproxy.cfg.template', 'ops/haproxy.compose.cfg']) {
    it(`${file} retries refused or unanswered requests elsewhere and sets X-Forwarded-For`, () => {
      const cfg = read(file);
      expect(cfg).toMatch(/^\s*option redispatch/m);
      expect(cfg).toMatch(/^\s*retry-on conn-failure empty-response\s*$/m);
      expect(cfg).toMatch(/^\s*http-request set-header X-Forwarded-For %\[src\]/m);
      expect(cfg).toMatch(/^\s*option httpchk GET \/readyz/m);
      // Fast checks: a draining node is out well inside the nodes' 2 s LB delay.
      expect(cfg).toMatch(
        /default-server check inter 1s fastinter 250ms downinter 1s fall 2 rise 2/,
      );
    });
  }
});
