import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Presence } from '@parley/contract';
import type { TestSocket } from './socket-client';
import type { TestNode } from './start-node';

/** Closes a client socket and resolves once its node has processed the disconnect. */
export async function closeOnServer(node: TestNode, socket: TestSocket) {
  const serverSide =
    socket.id === undefined ? undefined : node.app.io.of('/').sockets.get(socket.id);
  const gone = new Promise<void>((resolve) =>
    serverSide ? serverSide.once('disconnect', () => resolve()) : resolve(),
  );
  socket.close();
  await gone;
}

export const statusesOf = (events: Presence[], userId: string) =>
  events.filter((e) => e.userId === userId).map((e) => e.status);

export const hasStatus =
  (userId: string, status: Presence['status'], count = 1) =>
  (events: Presence[]) =>
    events.filter((e) => e.userId === userId && e.status === status).length >= count;

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** A real node process (`node --import tsx server/src/main.ts`), for tests that SIGKILL it. */
export async function spawnNodeProcess(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "parley listening on" line:\n${output}`)),
      30_000,
    );
    const check = () => {
      const match = /parley listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => reject(new Error(`node process exited before listening:\n${output}`)));
  });
  return {
    url,
    pid: child.pid,
    exited,
    output: () => output,
    kill: (signal: NodeJS.Signals) => child.kill(signal),
  };
}
