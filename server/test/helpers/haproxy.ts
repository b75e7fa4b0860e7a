import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { repoRoot } from './dockerfile';

/** A port that was free a moment ago (for processes that cannot report a port 0 choice back). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function haproxyAvailable(): boolean {
  return spawnSync('haproxy', ['-v']).status === 0;
}

export interface Haproxy {
  url: string;
  /** Server name → HAProxy's status (UP, DOWN, MAINT, "UP 1/2"...). */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** HAProxy in the foreground with ops/haproxy.cfg.template, the local cluster's own config. */
export async function startHaproxy(
  dir: string,
  servers: { name: string; port: number }[],
): Promise<Haproxy> {
  const [lbPort, statsPort] = [await freePort(), await freePort()];
  const template = readFileSync(path.join(repoRoot, 'ops/haproxy.cfg.template'), 'utf8');
  const config = template
    .replaceAll('${LB_PORT}', String(lbPort))
    .replaceAll('${STATS_PORT}', String(statsPort))
    .replaceAll(
      '${SERVERS}',
      servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} cookie ${s.name}`).join('\n'),
    );
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', file], { stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const states = async () => {
    const res = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`);
    const rows = (await res.text()).split('\n').map((line) => line.split(','));
    const header = rows[0] ?? [];
    const [px, sv, status] = ['# pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    const out: Record<string, string> = {};
    for (const row of rows) {
      if (row[px!] === 'nodes' && row[sv!] && !['FRONTEND', 'BACKEND'].includes(row[sv!]!)) {
        out[row[sv!]!] = row[status!] ?? '';
      }
    }
    return out;
  };
  // Wait for the stats listener: HAProxy is up when it answers.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${output}`);
    try {
      await states();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url: `http://127.0.0.1:${lbPort}`,
    states,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
