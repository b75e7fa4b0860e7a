/**
 * A latency histogram that worker processes fill and the orchestrator merges: 0.1 ms
 * buckets up to 2 s, 1 ms buckets up to 30 s, then one overflow bucket. Millions of
 * deliveries per step cost a few hundred KB instead of a sample each, and percentiles
 * stay exact to the bucket width.
 */
const FINE_LIMIT_MS = 2_000;
const FINE_PER_MS = 10;
const COARSE_LIMIT_MS = 30_000;
const FINE_BUCKETS = FINE_LIMIT_MS * FINE_PER_MS;
const BUCKETS = FINE_BUCKETS + (COARSE_LIMIT_MS - FINE_LIMIT_MS) + 1;

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number) {
    const v = ms < 0 ? 0 : ms;
    let i: number;
    if (v < FINE_LIMIT_MS) i = Math.floor(v * FINE_PER_MS);
    else if (v < COARSE_LIMIT_MS) i = FINE_BUCKETS + Math.floor(v - FINE_LIMIT_MS);
    else i = BUCKETS - 1;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Non-empty buckets as [index, count] pairs, for IPC. */
  toSparse(): SparseHistogram {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, count: this.count, sum: this.sum, max: this.max };
  }

  merge(other: SparseHistogram) {
    for (const [i, c] of other.buckets) this.counts[i] = (this.counts[i] ?? 0) + c;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** Upper edge of the bucket holding the nearest-rank percentile `p`. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, upperEdge(i));
    }
    return this.max;
  }

  mean() {
    return this.count ? this.sum / this.count : Number.NaN;
  }
}

function upperEdge(i: number) {
  if (i < FINE_BUCKETS) return (i + 1) / FINE_PER_MS;
  if (i < BUCKETS - 1) return FINE_LIMIT_MS + (i - FINE_BUCKETS) + 1;
  return Number.POSITIVE_INFINITY;
}

export interface SparseHistogram {
  buckets: [number, number][];
  count: number;
  sum: number;
  max: number;
}
