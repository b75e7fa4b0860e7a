import { execFile } from 'node:child_process';
import path from 'node:path';

export const LAUNCHER = path.resolve(
  import.meta.dirname,
  '../../../cassandra/launcher/cassandra.sh',
);

/**
 * Runs cassandra/launcher/cassandra.sh with `env` on top of a clean environment: no
 * CASSANDRA_* setting from the caller's shell (CASSANDRA_FAST above all) leaks into a test
 * that is about crash safety.
 */
export function launcher(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 300_000,
): Promise<{ code: number; output: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CASSANDRA_')),
  );
  return new Promise((resolve) => {
    execFile(
      'bash',
      [LAUNCHER, ...args],
      { env: { ...base, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** True while a process with this pid exists (a zombie of ours counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
