import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { imageRuntime, repoRoot } from './dockerfile';

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
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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
