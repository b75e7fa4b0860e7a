import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { repoRoot } from '../helpers/dockerfile';

const alertsFile = path.join(repoRoot, 'ops/prometheus/alerts.yml');
const dashboardFile = path.join(repoRoot, 'ops/grafana/parley.json');

/** Metric names a PromQL expression reads (ours and the Node.js defaults; not functions or labels). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:parley|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Every sample name a node exposes, from its `# TYPE` lines (histograms expand to their series). */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
  }
  return names;
}

describe('alert rules and dashboard', () => {
  let node: CompiledNode | undefined;
  beforeAll(() => buildOnce(), 120_000);
  afterAll(async () => {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  });

  it('promtool accepts the alert rules', () => {
    const run = spawnSync('promtool', ['check', 'rules', alertsFile], { encoding: 'utf8' });
    if (run.error)
      throw new Error(
        `promtool not found (scripts/ensure-tools.sh installs it): ${run.error.message}`,
      );
    expect(run.stdout + run.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(run.status).toBe(0);
  });

  it('queries only metrics that a live cluster node exposes', async () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const alerts = parse(readFileSync(alertsFile, 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const wanted = new Map<string, string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets)
        for (const m of metricsIn(t.expr)) wanted.set(m, `panel "${panel.title}"`);
    }
    for (const rule of alerts.groups.flatMap((g) => g.rules)) {
      for (const m of metricsIn(rule.expr)) wanted.set(m, `alert ${rule.alert}`);
    }
    expect(wanted.size).toBeGreaterThan(20);

    // The real entry point (main.ts, compiled), so driver-level metrics are wired as in production.
    node = await startCompiledNode(
      clusterNodeEnv(inject('keyspace'), {
        NODE_ID: 'metrics-probe',
        METRICS_TOKEN: 'metrics-token-for-the-test',
      }),
    );
    const res = await fetch(`${node.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-for-the-test' },
    });
    expect(res.status).toBe(200);
    const exposition = await res.text();
    const exposed = exposedNames(exposition);
    const missing = [...wanted]
      .filter(([name]) => !exposed.has(name))
      .map(([n, by]) => `${n} (${by})`);
    expect(missing).toEqual([]);
  }, 60_000);
});
