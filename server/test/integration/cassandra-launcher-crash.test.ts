import cassandra from 'cassandra-driver';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, launcher } from '../helpers/cassandra-launcher';

// A node of its own, next to the shared test node: 127.0.0.2 is ours for extra Cassandra
// nodes; other ports than the chaos ring's (9042/7000/7201-7203) and the node-loss test's.
const ADDRESS = process.env.PARLEY_TEST_LAUNCHER_ADDRESS ?? '127.0.0.2';
const CQL_PORT = process.env.PARLEY_TEST_LAUNCHER_PORT ?? '9043';
const ROWS = 200;

/** Pids of every process whose command line carries this node's config flag. */
function nodeJvms(nodeDir: string): number[] {
  const flag = `-Dcassandra.config=file://${nodeDir}/cassandra.yaml`;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(flag);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The launcher is crash-safe by default: a node SIGKILLed after acknowledging writes comes
 * back with its keyspace and rows, and `up` after the crash copes with the stale pid file
 * (here it even names a live process that is not Cassandra) without killing that process
 * or starting a second JVM.
 */
describe('cassandra.sh: SIGKILL, then up', () => {
  const nodeDir = mkdtempSync(path.join(os.tmpdir(), 'parley-launcher-'));
  const env = {
    CASSANDRA_ADDRESS: ADDRESS,
    CASSANDRA_PORT: CQL_PORT,
    CASSANDRA_NODE_DIR: nodeDir,
    CASSANDRA_STORAGE_PORT: '7002',
    CASSANDRA_JMX_PORT: '7207',
    CASSANDRA_HEAP: '512M',
  };
  const pidFile = path.join(nodeDir, 'cassandra.pid');
  let bystander: ChildProcess;

  const connect = () =>
    new cassandra.Client({
      contactPoints: [`${ADDRESS}:${CQL_PORT}`],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: Number(CQL_PORT) },
    });

  beforeAll(async () => {
    // A live process that is not Cassandra, whose pid will sit in the stale pid file.
    bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
    const up = await launcher(['up'], env);
    expect(up.code, up.output).toBe(0);
    expect(up.output).toContain('fast=0 commitlog_sync=group skip_sync=0');
  }, 300_000);

  afterAll(async () => {
    await launcher(['down'], env);
    bystander.kill('SIGKILL');
    rmSync(nodeDir, { recursive: true, force: true });
  }, 120_000);

  it('keeps the keyspace and every acknowledged row, and recovers from a stale pid file', async () => {
    let client = connect();
    await client.execute(
      "CREATE KEYSPACE crash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    await client.execute('CREATE TABLE crash.rows (id int PRIMARY KEY, body text)');
    const { quorum, one } = cassandra.types.consistencies;
    for (let i = 0; i < ROWS; i++) {
      await client.execute('INSERT INTO crash.rows (id, body) VALUES (?, ?)', [i, `row ${i}`], {
        prepare: true,
        consistency: i % 2 ? quorum : one,
      });
    }
    await client.shutdown();

    const before = await launcher(['pid'], env, 30_000);
    const jvm = Number(before.output.trim());
    expect(nodeJvms(nodeDir)).toEqual([jvm]);
    process.kill(jvm, 'SIGKILL');
    await new Promise<void>((resolve) => {
      const check = () => (alive(jvm) ? setTimeout(check, 100) : resolve());
      check();
    });
    // The crash left the pid file behind; make it name a live process that is not ours.
    writeFileSync(pidFile, `${bystander.pid}\n`);

    const up = await launcher(['up'], env);
    expect(up.code, up.output).toBe(0);
    expect(alive(bystander.pid!)).toBe(true);
    const restarted = nodeJvms(nodeDir);
    expect(restarted).toHaveLength(1);
    expect(restarted[0]).not.toBe(bystander.pid);
    expect(Number(readFileSync(pidFile, 'utf8').trim())).toBe(restarted[0]);

    // A pid file lost while the node runs: `up` adopts the running JVM instead of a second one.
    rmSync(pidFile);
    const again = await launcher(['up'], env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('already running');
    expect(nodeJvms(nodeDir)).toEqual(restarted);

    client = connect();
    try {
      const rows = await client.execute('SELECT id, body FROM crash.rows', [], {
        fetchSize: ROWS * 2,
      });
      expect(rows.rows.map((r) => Number(r.get('id'))).sort((a, b) => a - b)).toEqual(
        Array.from({ length: ROWS }, (_, i) => i),
      );
    } finally {
      await client.shutdown();
    }
  }, 300_000);
});
