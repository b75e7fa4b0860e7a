import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux almost everywhere). */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
const TICKS = clockTicks();

/** CPU seconds (user + system) a process has used, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); here index 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Write-type syscalls (write, writev, sendmsg…) a process has made: `syscw` of /proc/<pid>/io. */
export function writeSyscalls(pid: number): number | undefined {
  try {
    const match = /^syscw:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcSample {
  /** Seconds since the run's t0. */
  t: number;
  /** Percent of one core over the last interval (200 = two cores busy). */
  cpu: number;
  rssMb: number;
  /** Write syscalls per second over the last interval (undefined where /proc/<pid>/io is unreadable). */
  writes?: number;
}

/** Samples CPU% and RSS of some processes every second, like pidusage, from /proc alone. */
export class ProcSampler {
  readonly samples = new Map<string, ProcSample[]>();
  private last = new Map<string, { cpu: number; at: number; writes?: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Map<string, number>,
    private readonly t0: number,
  ) {}

  start(intervalMs = 1_000) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
  }

  private sample() {
    const now = performance.now();
    for (const [name, pid] of this.pids) {
      const cpu = cpuSeconds(pid);
      const rss = rssBytes(pid);
      if (cpu === undefined || rss === undefined) continue;
      const writes = writeSyscalls(pid);
      const prev = this.last.get(name);
      this.last.set(name, { cpu, at: now, writes });
      if (!prev) continue;
      const seconds = (now - prev.at) / 1_000;
      const list = this.samples.get(name) ?? [];
      list.push({
        t: (now - this.t0) / 1_000,
        cpu: ((cpu - prev.cpu) / seconds) * 100,
        rssMb: rss / 1024 / 1024,
        ...(writes !== undefined && prev.writes !== undefined
          ? { writes: (writes - prev.writes) / seconds }
          : {}),
      });
      this.samples.set(name, list);
    }
  }

  /** Mean and peak CPU% and peak RSS of each process between two run times (seconds). */
  summary(from: number, to: number) {
    const out: Record<
      string,
      { cpuMean: number; cpuMax: number; rssMaxMb: number; writesPerSec?: number }
    > = {};
    for (const [name, list] of this.samples) {
      const window = list.filter((s) => s.t > from && s.t <= to + 0.5);
      const use = window.length > 0 ? window : list;
      out[name] = {
        cpuMean: use.reduce((a, s) => a + s.cpu, 0) / Math.max(1, use.length),
        cpuMax: Math.max(...use.map((s) => s.cpu)),
        rssMaxMb: Math.max(...list.map((s) => s.rssMb)),
        ...(use.every((s) => s.writes !== undefined)
          ? { writesPerSec: use.reduce((a, s) => a + (s.writes ?? 0), 0) / use.length }
          : {}),
      };
    }
    return out;
  }
}
