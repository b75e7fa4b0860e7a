/** The orchestrator's handle on its load-generator processes (generator-worker.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram';
import type { FromWorker, SubscriberTarget, ToWorker } from './protocol';

const here = dirname(fileURLToPath(import.meta.url));

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

export class Generator {
  private readonly procs: ChildProcess[] = [];
  private readonly waiting = new Map<ChildProcess, ((m: FromWorker) => void)[]>();

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const child = fork(join(here, 'generator-worker.ts'), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.waiting.set(child, []);
      child.on('message', (m: FromWorker) => this.waiting.get(child)?.shift()?.(m));
      this.procs.push(child);
    }
  }

  get pids() {
    return this.procs.map((p) => p.pid as number);
  }

  /** Sends one request to every worker and resolves with their replies, in order. */
  private all<T extends FromWorker['type']>(make: (i: number) => ToWorker): Promise<Reply<T>[]> {
    return Promise.all(
      this.procs.map(
        (p, i) =>
          new Promise<Reply<T>>((resolve) => {
            this.waiting.get(p)?.push((m) => resolve(m as Reply<T>));
            p.send(make(i));
          }),
      ),
    );
  }

  /** Subscriber i goes to worker i mod N. Resolves with the open sockets (cumulative). */
  async tryConnect(targets: SubscriberTarget[], concurrencyPerWorker = 25) {
    const replies = await this.all<'connected'>((w) => ({
      type: 'connect',
      targets: targets.filter((_, i) => i % this.procs.length === w),
      concurrency: concurrencyPerWorker,
    }));
    return {
      count: replies.reduce((a, r) => a + r.count, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      firstError: replies.find((r) => r.firstError)?.firstError,
    };
  }

  /** Like tryConnect, but any failed connection is an error. */
  async connect(targets: SubscriberTarget[], concurrencyPerWorker = 25) {
    const replies = await this.all<'connected'>((w) => ({
      type: 'connect',
      targets: targets.filter((_, i) => i % this.procs.length === w),
      concurrency: concurrencyPerWorker,
    }));
    const failed = replies.reduce((a, r) => a + r.failed, 0);
    if (failed > 0)
      throw new Error(
        `${failed} subscribers failed to connect: ${replies.find((r) => r.firstError)?.firstError}`,
      );
    return replies.reduce((a, r) => a + r.count, 0);
  }

  async readyCount() {
    const replies = await this.all<'ready-count'>(() => ({ type: 'ready-count' }));
    return replies.reduce((a, r) => a + r.ready, 0);
  }

  /**
   * Waits until `expected` deliveries of `tag` arrived, or none arrived for `quietMs`, or
   * `maxMs` passed: late deliveries of a measured window still count.
   */
  async drain(tag: string, expected: number, quietMs = 1_500, maxMs = 20_000) {
    const end = performance.now() + maxMs;
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const replies = await this.all<'count'>(() => ({ type: 'count', tag }));
      const got = replies.reduce((a, r) => a + r.deliveries, 0);
      if (got >= expected || performance.now() > end) return;
      if (got !== last) {
        last = got;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > quietMs) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Sockets still open over all workers (a server may drop slow subscribers). */
  async openCount() {
    const replies = await this.all<'ready-count'>(() => ({ type: 'ready-count' }));
    return replies.reduce((a, r) => a + r.open, 0);
  }

  async collect(tag: string) {
    const replies = await this.all<'collected'>(() => ({ type: 'collect', tag }));
    const histogram = new Histogram();
    let deliveries = 0;
    let bytes = 0;
    for (const r of replies) {
      histogram.merge(r.histogram);
      deliveries += r.deliveries;
      bytes += r.bytes;
    }
    return { histogram, deliveries, bytes };
  }

  async disconnect() {
    await this.all<'disconnected'>(() => ({ type: 'disconnect' }));
  }

  stop() {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
  }
}
