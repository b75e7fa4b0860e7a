/** Pieces the peer and durable benches share: the open-loop driver and process CPU. */
import { execFileSync } from 'node:child_process';
import { cpuSeconds } from '../lib/proc-stats';
import type { Samples } from '../lib/stats';
import { makeBody } from './protocol';
import type { System } from './systems';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends at `rate` msg/s for `seconds` on an open-loop schedule; collects ack times. */
export async function drive(
  sys: System,
  rate: number,
  seconds: number,
  tag: string,
  size: number,
  acks: Samples,
  rooms = 1,
) {
  const total = Math.round(rate * seconds);
  const start = performance.now() + 20;
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  const pending = new Set<Promise<void>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      const n = sent++;
      const t0 = performance.now();
      const p: Promise<void> = sys
        .publish(makeBody(now(), tag, n, size), n % rooms)
        .then(
          () => {
            acked++;
            acks.push(performance.now() - t0);
          },
          (err: unknown) => {
            errors++;
            firstError ??= err instanceof Error ? err.message : String(err);
          },
        )
        .finally(() => pending.delete(p));
      pending.add(p);
    }
    await sleep(Math.max(1, start + ((sent + 0) / rate) * 1000 - performance.now()));
  }
  return {
    sent,
    settle: async (timeoutMs: number) => {
      await Promise.race([Promise.all(pending), sleep(timeoutMs)]);
      return { acked, errors, firstError };
    },
  };
}

export function cpuOf(pids: number[]) {
  return pids.reduce((a, pid) => a + (cpuSeconds(pid) ?? 0), 0);
}

/** The process listening on the Cassandra contact point (others may run more nodes). */
export function findCassandraPid(contactPoint: string): number | undefined {
  const [host, port = '9042'] = contactPoint.split(':');
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      if (!line.includes(`${host}:${port}`)) continue;
      const pid = /pid=(\d+)/.exec(line)?.[1];
      if (pid) return Number(pid);
    }
  } catch {
    // no ss, or no permission: Cassandra CPU is then not reported
  }
  return undefined;
}

export const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
