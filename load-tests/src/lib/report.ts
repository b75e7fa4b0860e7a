import type { Distribution } from './stats';

export interface StepResult {
  rate: number;
  /** Run time (s since the first send) where the measured window starts and ends. */
  window: { from: number; to: number };
  offeredDeliveriesPerSec: number;
  deliveriesPerSec: number;
  sends: { attempted: number; acked: number; errors: Record<string, number> };
  deliveries: { expected: number; received: number; missing: number; duplicates: number };
  delivery: Distribution;
  sendAck: Distribution;
  /** How late the harness emitted sends against their schedule (ms); high = generator saturated. */
  sendLag: { p99: number; max: number };
  processes: Record<
    string,
    { cpuMean: number; cpuMax: number; rssMaxMb: number; writesPerSec?: number }
  >;
}

export interface SecondResult {
  t: number;
  deliveries: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface BenchReport {
  kind: 'parley-fanout-bench';
  startedAt: string;
  label: string;
  command: string;
  machine: {
    cpus: number;
    node: string;
    loadAvgBefore: number[];
    loadAvgAfter: number[];
    memTotalMb: number;
  };
  /** git HEAD of the code under test, and whether server/ or contract/ had local edits. */
  serverRevision: string;
  options: Record<string, unknown>;
  serverEnv: Record<string, string>;
  setup: {
    nodesSeconds: number;
    usersSeconds: number;
    roomSeconds: number;
    connectSeconds: number;
  };
  steps: StepResult[];
  harness: {
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    disconnects: number;
    warmupSendErrors: Record<string, number>;
    strayDeliveries: number;
  };
  perSecond: SecondResult[];
}

const f = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function errorsText(errors: Record<string, number>) {
  const parts = Object.entries(errors).map(([code, n]) => `${code}:${n}`);
  return parts.length ? parts.join(' ') : '0';
}

function cpuText(step: StepResult, prefix: string) {
  return Object.entries(step.processes)
    .filter(([name]) => name.startsWith(prefix))
    .map(([, p]) => `${p.cpuMean.toFixed(0)}%`)
    .join('/');
}

/** Write syscalls of all server nodes per delivered message (one frame to one socket). */
function writesPerDelivery(step: StepResult): string {
  const nodes = Object.entries(step.processes).filter(([name]) => name.startsWith('node'));
  if (nodes.length === 0 || nodes.some(([, p]) => p.writesPerSec === undefined)) return '-';
  const writes = nodes.reduce((a, [, p]) => a + (p.writesPerSec ?? 0), 0);
  return f(writes / step.deliveriesPerSec, 3);
}

/** Rows of the summary table, one per rate step. */
export function tableRows(report: BenchReport): string[][] {
  const watched = [
    ...new Set(
      report.steps.flatMap((s) =>
        Object.keys(s.processes).filter((n) => !n.startsWith('node') && n !== 'harness'),
      ),
    ),
  ];
  const header = [
    'msg/s',
    'offered dl/s',
    'delivered dl/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'ack p50',
    'ack p99',
    'send errors',
    'missing',
    'node CPU',
    'node RSS MB',
    'node writes/dl',
    'harness CPU',
    ...watched.map((n) => `${n} CPU`),
  ];
  const rows = report.steps.map((s) => [
    f(s.rate, s.rate < 10 ? 1 : 0),
    int(s.offeredDeliveriesPerSec),
    int(s.deliveriesPerSec),
    f(s.delivery.p50),
    f(s.delivery.p95),
    f(s.delivery.p99),
    f(s.delivery.max),
    f(s.sendAck.p50),
    f(s.sendAck.p99),
    errorsText(s.sends.errors),
    int(s.deliveries.missing),
    cpuText(s, 'node'),
    Object.entries(s.processes)
      .filter(([n]) => n.startsWith('node'))
      .map(([, p]) => p.rssMaxMb.toFixed(0))
      .join('/'),
    writesPerDelivery(s),
    cpuText(s, 'harness'),
    ...watched.map((n) => {
      const p = s.processes[n];
      return p ? `${p.cpuMean.toFixed(0)}%` : '-';
    }),
  ]);
  return [header, ...rows];
}

export function textTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [
    line(rows[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function markdownTable(rows: string[][]): string {
  const [header = [], ...body] = rows;
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---:').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function describeRun(report: BenchReport): string {
  const o = report.options;
  return `${String(o.clients)} clients, ${String(o.nodes)} node(s), ${String(o.engine)} engine, ${String(o.senders)} senders, ${String(o.size)}-byte bodies, ${String(o.warmup)} s warmup + ${String(o.duration)} s measured per step`;
}

export function markdownReport(report: BenchReport, svgFile: string): string {
  const lines = [
    `# Fan-out benchmark ${report.startedAt}`,
    '',
    report.label ? `${report.label}\n` : '',
    `${describeRun(report)}.`,
    '',
    '```sh',
    report.command,
    '```',
    '',
    markdownTable(tableRows(report)),
    '',
    `![latency percentiles per second](${svgFile})`,
    '',
    '## Run',
    '',
    `- machine: ${report.machine.cpus} cores, ${report.machine.memTotalMb} MB, Node ${report.machine.node}; load average before ${report.machine.loadAvgBefore.map((n) => n.toFixed(2)).join(' ')}, after ${report.machine.loadAvgAfter.map((n) => n.toFixed(2)).join(' ')}`,
    `- server code: ${report.serverRevision}`,
    `- setup: nodes ${report.setup.nodesSeconds.toFixed(1)} s, users ${report.setup.usersSeconds.toFixed(1)} s, room ${report.setup.roomSeconds.toFixed(1)} s, sockets ${report.setup.connectSeconds.toFixed(1)} s`,
    `- harness event-loop delay p99 ${report.harness.eventLoopDelayP99Ms.toFixed(1)} ms, max ${report.harness.eventLoopDelayMaxMs.toFixed(1)} ms; client disconnects ${report.harness.disconnects}`,
    `- server settings: ${Object.entries(report.serverEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    '',
    '## Steps',
    '',
    ...report.steps.flatMap((s) => [
      `- ${s.rate} msg/s (window ${s.window.from.toFixed(0)}–${s.window.to.toFixed(0)} s): ` +
        `${s.sends.attempted} sends, ${s.sends.acked} acked, errors ${errorsText(s.sends.errors)}; ` +
        `${int(s.deliveries.received)} of ${int(s.deliveries.expected)} deliveries ` +
        `(${int(s.deliveries.missing)} missing, ${int(s.deliveries.duplicates)} duplicates); ` +
        `delivery mean ${f(s.delivery.mean)} ms; send lag p99 ${f(s.sendLag.p99)} ms, max ${f(s.sendLag.max)} ms; processes ${Object.entries(
          s.processes,
        )
          .map(
            ([n, p]) =>
              `${n} ${p.cpuMean.toFixed(0)}% (peak ${p.cpuMax.toFixed(0)}%) ${p.rssMaxMb.toFixed(0)} MB`,
          )
          .join(', ')}`,
    ]),
    '',
  ];
  return lines.join('\n');
}

/**
 * A small hand-written SVG: latency percentiles per second on a log axis (so a 5 ms
 * plateau and a 2 s collapse are both readable) on top, deliveries per second below.
 */
export function svgChart(report: BenchReport): string {
  const W = 760;
  const H = 410;
  const left = 56;
  const right = 16;
  const top = 50;
  const latH = 200;
  const gap = 40;
  const thrH = 80;
  const secs = report.perSecond;
  const tMax = Math.max(1, ...secs.map((s) => s.t + 1));
  const x = (t: number) => left + (t / tMax) * (W - left - right);
  const highest = Math.max(2, ...secs.map((s) => s.max ?? 0));
  const lowest = Math.min(1, ...secs.map((s) => s.p50 ?? 1).filter((v) => v > 0));
  const logMin = Math.floor(Math.log10(lowest));
  const logMax = Math.ceil(Math.log10(highest));
  const yLat = (v: number) => {
    const l = Math.log10(Math.max(v, 10 ** logMin));
    return top + latH - ((l - logMin) / (logMax - logMin)) * latH;
  };
  const thrTop = top + latH + gap;
  const thrMax = niceCeil(
    Math.max(
      1,
      ...secs.map((s) => s.deliveries),
      ...report.steps.map((s) => s.offeredDeliveriesPerSec),
    ) * 1.05,
  );
  const yThr = (v: number) => thrTop + thrH - (v / thrMax) * thrH;

  const path = (key: 'p50' | 'p95' | 'p99' | 'max') => {
    let d = '';
    let pen = false;
    for (const s of secs) {
      const v = s[key];
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(s.t + 0.5).toFixed(1)},${yLat(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  };
  const barW = Math.max(1, x(1) - x(0) - 1);
  const bars = secs
    .map((s) => {
      const y = yThr(s.deliveries);
      return `<rect x="${x(s.t).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${(thrTop + thrH - y).toFixed(1)}" fill="#8aa"/>`;
    })
    .join('');
  const offered = report.steps
    .map(
      (s) =>
        `<line x1="${x(s.window.from - Number(report.options.warmup)).toFixed(1)}" x2="${x(s.window.to).toFixed(1)}" y1="${yThr(s.offeredDeliveriesPerSec).toFixed(1)}" y2="${yThr(s.offeredDeliveriesPerSec).toFixed(1)}" stroke="#333" stroke-dasharray="4,3"/>`,
    )
    .join('');
  const windows = report.steps
    .map(
      (s) =>
        `<rect x="${x(s.window.from).toFixed(1)}" y="${top}" width="${(x(s.window.to) - x(s.window.from)).toFixed(1)}" height="${latH}" fill="#f4f4ea"/>` +
        `<text x="${(x(s.window.from) + 3).toFixed(1)}" y="${top + 12}" font-size="10" fill="#775">${s.rate} msg/s</text>`,
    )
    .join('');
  const ticks: number[] = [];
  for (let e = logMin; e <= logMax; e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  const yTicks = ticks
    .filter((v) => v <= 10 ** logMax)
    .map(
      (v) =>
        `<line x1="${left}" x2="${W - right}" y1="${yLat(v).toFixed(1)}" y2="${yLat(v).toFixed(1)}" stroke="#e4e4e4"/><text x="${left - 4}" y="${(yLat(v) + 3).toFixed(1)}" font-size="10" text-anchor="end">${v >= 1 ? v.toFixed(0) : v}</text>`,
    )
    .join('');
  const step = tMax > 120 ? 30 : tMax > 50 ? 10 : 5;
  const xTicks = Array.from({ length: Math.floor(tMax / step) + 1 }, (_, i) => i * step)
    .map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${thrTop + thrH + 14}" font-size="10" text-anchor="middle">${t}s</text>`,
    )
    .join('');
  const legend = (
    [
      ['p50', '#2a7'],
      ['p95', '#e90'],
      ['p99', '#d33'],
      ['max', '#999'],
    ] as const
  )
    .map(
      ([k, c], i) =>
        `<line x1="${left + 200 + i * 60}" x2="${left + 220 + i * 60}" y1="31" y2="31" stroke="${c}" stroke-width="2"/><text x="${left + 224 + i * 60}" y="34" font-size="11">${k}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="4" y="14" font-size="11" fill="#444">${escapeXml(describeRun(report))}</text>
<text x="${left}" y="34" font-size="12" font-weight="bold">delivery latency (ms, log)</text>${legend}
${windows}${yTicks}
<path d="${path('max')}" fill="none" stroke="#999" stroke-width="1" stroke-dasharray="3,3"/>
<path d="${path('p99')}" fill="none" stroke="#d33" stroke-width="2"/>
<path d="${path('p95')}" fill="none" stroke="#e90" stroke-width="2"/>
<path d="${path('p50')}" fill="none" stroke="#2a7" stroke-width="2"/>
<text x="${left}" y="${thrTop - 6}" font-size="12" font-weight="bold">deliveries per second (bars; dashed: offered), axis max ${fmtCount(thrMax)}</text>
${bars}${offered}
<line x1="${left}" x2="${W - right}" y1="${thrTop + thrH}" y2="${thrTop + thrH}" stroke="#444"/>
${xTicks}
<text x="4" y="${H - 6}" font-size="10" fill="#666">shaded: measured windows (the gaps before them are warmups); latency by receive second</text>
</svg>
`;
}

function niceCeil(v: number) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtCount(v: number) {
  if (v >= 1_000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  return v.toFixed(0);
}

export function escapeXml(s: string) {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One line per series over labelled x positions, log-scaled y: the peer bench's p99 chart. */
export function svgLinesChart(o: {
  title: string;
  xLabels: string[];
  series: { name: string; values: (number | null)[]; color: string }[];
  yLabel: string;
}): string {
  const W = 760;
  const H = 380;
  const left = 56;
  const right = 200;
  const top = 40;
  const plotH = 280;
  const all = o.series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0);
  const logMin = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...all))));
  const logMax = Math.ceil(Math.log10(Math.max(10, ...all)));
  const y = (v: number) =>
    top + plotH - ((Math.log10(Math.max(v, 10 ** logMin)) - logMin) / (logMax - logMin)) * plotH;
  const n = Math.max(1, o.xLabels.length - 1);
  const x = (i: number) => left + 20 + (i / n) * (W - left - right - 40);
  const grid: string[] = [];
  for (let e = logMin; e <= logMax; e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v > 10 ** logMax) continue;
      grid.push(
        `<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/><text x="${left - 4}" y="${(y(v) + 3).toFixed(1)}" font-size="10" text-anchor="end">${v >= 1 ? v.toFixed(0) : v}</text>`,
      );
    }
  const xs = o.xLabels
    .map(
      (l, i) =>
        `<text x="${x(i).toFixed(1)}" y="${top + plotH + 16}" font-size="10" text-anchor="middle">${escapeXml(l)}</text>`,
    )
    .join('');
  const lines = o.series
    .map((s, k) => {
      let d = '';
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      const dots = s.values
        .map((v, i) =>
          v === null || !Number.isFinite(v)
            ? ''
            : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`,
        )
        .join('');
      return (
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}` +
        `<line x1="${W - right + 12}" x2="${W - right + 32}" y1="${top + 10 + k * 18}" y2="${top + 10 + k * 18}" stroke="${s.color}" stroke-width="2"/>` +
        `<text x="${W - right + 36}" y="${top + 14 + k * 18}" font-size="11">${escapeXml(s.name)}</text>`
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="4" y="16" font-size="12" font-weight="bold">${escapeXml(o.title)}</text>
<text x="${left}" y="${top - 6}" font-size="11" fill="#444">${escapeXml(o.yLabel)}</text>
${grid.join('')}
${xs}
${lines}
</svg>
`;
}
