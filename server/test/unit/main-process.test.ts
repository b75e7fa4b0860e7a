import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const serverDir = path.resolve(import.meta.dirname, '../..');

function runMain(env: Record<string, string>, preload: string[] = []) {
  const imports = ['tsx', ...preload].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, 'src/main.ts'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  // 'close', not 'exit': the last lines may still be in the pipe when the process exits.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

describe('main', () => {
  it('exits non-zero naming each bad setting', async () => {
    const run = runMain({ NODE_ENV: 'production', PORT: '99999', REDIS_URL: 'not a url' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PORT/);
    expect(run.output()).toMatch(/REDIS_URL/);
    expect(run.output()).not.toMatch(/\s+at /); // no stack trace
    // Spawning node + tsx: the default 5 s guard is too tight on a loaded 2-core machine.
  }, 30_000);

  it('boots the embedded engine, warns loudly, serves /healthz and drains on SIGTERM', async () => {
    const run = runMain({ PORT: '0', HOST: '127.0.0.1' });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line: ${run.output()}`)), 20_000);
      run.child.stdout.on('data', () => {
        const match = /parley listening on (http:\/\/[^"\s]+)/.exec(run.output());
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(run.output()).toMatch(/EMBEDDED ENGINE/);
    expect(run.output()).toMatch(/NOT durable/);
    const res = await fetch(`${url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 30_000);

  it('writes its whole log, in order, before it exits, even when the thread pool is busy', async () => {
    // pino writes stdout through libuv's thread pool; a write still queued there at
    // process.exit was lost (or landed after 'stopped'), as seen in CI under load.
    const run = runMain({ PORT: '0', HOST: '127.0.0.1', UV_THREADPOOL_SIZE: '1' }, [
      './test/helpers/busy-thread-pool-on-sigterm.ts',
    ]);
    await waitFor(run, /parley listening on/);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const messages = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    const fromDrain = messages.slice(messages.indexOf('draining'));
    expect(fromDrain[0]).toBe('draining');
    expect(fromDrain).toContain('drain: complete');
    expect(fromDrain.at(-1)).toBe('stopped');
  }, 30_000);

  it('on the embedded engine prints the URL and a one-time admin credential that opens the admin API', async () => {
    const run = runMain({
      PORT: '0',
      HOST: '127.0.0.1',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
    });
    const [, url, username, password] = await waitFor(
      run,
      /open (http:\/\/[^\s/]+)\/ \(chat\)[\s\S]*one-time, this process only\): (\S+) \/ (\S+)/,
    );
    const login = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const overview = await fetch(`${url}/admin/overview`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(overview.status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 30_000);

  it('takes the boot admin from PARLEY_ADMIN_USERNAME / PARLEY_ADMIN_PASSWORD', async () => {
    const run = runMain({
      PORT: '0',
      HOST: '127.0.0.1',
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      PARLEY_ADMIN_USERNAME: 'root_op',
      PARLEY_ADMIN_PASSWORD: 'a long enough secret',
    });
    const [, url] = await waitFor(run, /Admin sign-in: root_op[\s\S]*|open (http:\/\/[^\s/]+)\//);
    const [, base] = /open (http:\/\/[^\s/]+)\//.exec(run.output()) ?? [];
    expect(run.output()).not.toMatch(/one-time/);
    const login = await fetch(`${base ?? url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root_op', password: 'a long enough secret' }),
    });
    expect(login.status).toBe(200);
    const { user } = (await login.json()) as { user: { roles: string[] } };
    expect(user.roles).toContain('admin');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 30_000);
});

function waitFor(run: ReturnType<typeof runMain>, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no match: ${run.output()}`)), 20_000);
    const check = () => {
      const match = pattern.exec(run.output());
      if (!match) return;
      clearTimeout(timer);
      run.child.stdout.off('data', check);
      resolve(match);
    };
    run.child.stdout.on('data', check);
    check();
  });
}
