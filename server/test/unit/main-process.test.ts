import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const serverDir = path.resolve(import.meta.dirname, '../..');

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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
});
