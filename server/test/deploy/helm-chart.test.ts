import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { imageRuntime, repoRoot } from '../helpers/dockerfile';

const chart = path.join(repoRoot, 'ops/helm/parley');
// Helm built from source reports Kubernetes 1.20 unless told; the chart needs >= 1.25.
const kube = ['--kube-version', '1.31.0'];

function helm(...args: string[]) {
  const run = spawnSync('helm', args, { encoding: 'utf8' });
  if (run.error)
    throw new Error(`helm not found (scripts/ensure-tools.sh installs it): ${run.error.message}`);
  return run;
}

/** Offline schema check: kubernetes-models validates each object against the Kubernetes OpenAPI schemas it ships. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function render(...set: string[]): Manifest[] {
  const out = execFileSync(
    'helm',
    ['template', 'parley', chart, ...kube, ...set.flatMap((s) => ['--set', s])],
    {
      encoding: 'utf8',
    },
  );
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

const everything = [
  'secrets.existingSecret=',
  'secrets.create=true',
  'secrets.redisUrl=redis://redis:6379',
  'secrets.jwtPrivateKey=pem',
  'autoscaling.enabled=true',
  'autoscaling.targetConnectionsPerPod=5000',
  'serviceMonitor.enabled=true',
];

describe('Helm chart ops/helm/parley', () => {
  it('passes helm lint (strict) with its defaults and with every feature on', () => {
    for (const set of [[], everything]) {
      const run = helm('lint', chart, '--strict', ...kube, ...set.flatMap((s) => ['--set', s]));
      expect(run.stdout + run.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(run.status).toBe(0);
    }
  });

  it('renders manifests that validate against the Kubernetes schemas', () => {
    const manifests = render(...everything);
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      [
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceMonitor',
      ].sort(),
    );
    for (const manifest of manifests) {
      const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${manifest.apiVersion}/${manifest.kind} has a schema`).toBeDefined();
      expect(() => new Model!(manifest as never).validate(), manifest.kind).not.toThrow();
    }
  });

  it('drains within the grace period, probes the right endpoints and runs the image as built', () => {
    const deployment = render('drain.lbDelayMs=7000', 'drain.timeoutMs=12000').find(
      (m) => m.kind === 'Deployment',
    ) as unknown as {
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            containers: {
              command?: string[];
              env: { name: string; value?: string }[];
              readinessProbe: { httpGet: { path: string } };
              livenessProbe: { httpGet: { path: string } };
              startupProbe: { httpGet: { path: string } };
            }[];
          };
        };
        strategy: { rollingUpdate: { maxUnavailable: number } };
      };
    };
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    // LB delay + drain + time to close storage, all inside Kubernetes' SIGKILL deadline.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(7 + 12 + 5);
    const env = Object.fromEntries(container!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      DRAIN_LB_DELAY_MS: '7000',
      DRAIN_TIMEOUT_MS: '12000',
      NODE_ENV: 'production',
    });
    expect(container!.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container!.startupProbe.httpGet.path).toBe('/healthz');
    // No command override: the image's CMD, node itself, is PID 1 and receives SIGTERM.
    expect(container!.command).toBeUndefined();
    expect(imageRuntime().cmd[0]).toBe('node');
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('runs migrations as a pre-upgrade hook with the migration CLI', () => {
    const job = render().find((m) => m.kind === 'Job')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(JSON.stringify(job.spec)).toContain('server/dist/migrate-cli.js');
  });

  it('refuses values its schema does not allow, naming them', () => {
    for (const [set, problem] of [
      ['replicaCount=0', /replicaCount/],
      ['drain.lbDelay=5', /lbDelay/],
      ['secrets.redisUrl=http://x', /redisUrl/],
    ] as const) {
      const run = helm('template', 'parley', chart, ...kube, '--set', set);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(problem);
    }
    const noSecret = helm('template', 'parley', chart, ...kube, '--set', 'secrets.existingSecret=');
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.stderr).toMatch(/secrets.existingSecret/);
  });
});
