import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TokenPair } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { post } from '../helpers/http-client';
import { testServices } from '../helpers/services';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const serverDir = path.resolve(import.meta.dirname, '../..');
const password = 'a long admin passphrase';
const newName = () => `adm_${randomUUID().slice(0, 8)}`;

/** Runs `npm run admin:create -- <args>` the way npm does, with only the env we give. */
function runCli(args: string[], env: Record<string, string>, stdin?: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/auth/admin-create-cli.ts', ...args],
    {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.stdin.end(stdin ?? '');
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

const cassandraEnv = () => ({
  CASSANDRA_CONTACT_POINTS: testServices().cassandraContactPoints.join(','),
  CASSANDRA_KEYSPACE: inject('keyspace'),
});

const cluster = createTestCluster();
let node: TestNode;
beforeAll(async () => {
  node = await cluster.startNode();
});
afterAll(() => cluster.stopAll());

async function rolesAfterLogin(username: string, pass = password) {
  const res = await post(`${node.url}/auth/login`, { username, password: pass });
  expect(res.status).toBe(200);
  return (res.body as unknown as TokenPair).user.roles;
}

describe('npm run admin:create', () => {
  it('creates an admin with the password from PARLEY_ADMIN_PASSWORD', async () => {
    const username = newName();
    const run = await runCli([username], { ...cassandraEnv(), PARLEY_ADMIN_PASSWORD: password });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created admin/);
    expect(await rolesAfterLogin(username)).toContain('admin');
  });

  it('creates an admin with the password from stdin (trailing newline dropped)', async () => {
    const username = newName();
    const run = await runCli([username], cassandraEnv(), `${password}\n`);
    expect(run.code).toBe(0);
    expect(await rolesAfterLogin(username)).toEqual(expect.arrayContaining(['admin', 'user']));
  });

  it('promotes an existing user without touching the password', async () => {
    const username = newName();
    const userPassword = 'the user’s own password';
    await post(`${node.url}/auth/register`, { username, password: userPassword });
    expect(await rolesAfterLogin(username, userPassword)).toEqual(['user']);

    const run = await runCli([username], cassandraEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/promoted existing user/);
    expect(await rolesAfterLogin(username, userPassword)).toEqual(
      expect.arrayContaining(['admin', 'user']),
    );
    const again = await runCli([username], cassandraEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already an admin/);
  });

  it.each([
    ['no username', [], cassandraEnv(), '', /usage/],
    ['an invalid username', ['bad name!'], cassandraEnv(), password, /username/],
    ['a too short password', [newName()], cassandraEnv(), 'short', /password/],
    ['an empty password', [newName()], cassandraEnv(), '', /password/],
    ['no Cassandra configured', [newName()], {}, password, /CASSANDRA_CONTACT_POINTS is not set/],
  ] as const)(
    'exits 2 with a clear message for %s',
    async (_name, args, env: Record<string, string>, stdin, message) => {
      const run = await runCli([...args], env, stdin);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('exits 1 naming the address when Cassandra cannot be reached', async () => {
    const run = await runCli([newName()], {
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:9',
      PARLEY_ADMIN_PASSWORD: password,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach Cassandra at 127\.0\.0\.1:9/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
