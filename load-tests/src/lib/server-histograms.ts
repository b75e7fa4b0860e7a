/**
 * Server-side latency over one bench step, from the nodes' own Prometheus histograms:
 * scrape every node before and after the step, subtract, and estimate quantiles the way
 * Prometheus' `histogram_quantile` does (linear within a bucket). It answers "where did the
 * send's time go" (Cassandra, Redis, the whole send path, the fan-out after it) without
 * tracing. Buckets are the server's (0.5 ms … 2.5 s), so figures are bucket-interpolated.
 *
 * A parser of our own: the exposition format's histogram lines are one regex, and no
 * well-kept npm package parses it (prom-client only writes it).
 */

/** `name{labels except le}` → upper bound → cumulative count, summed over nodes. */
export type HistogramScrape = Map<string, Map<number, number>>;

const BUCKET_LINE = /^(\w+)_bucket\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="([^"]*)"/g;

export function parseHistograms(texts: string[], names: readonly string[]): HistogramScrape {
  const scrape: HistogramScrape = new Map();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const match = BUCKET_LINE.exec(line);
      if (!match || !names.includes(match[1] as string)) continue;
      let le = Number.POSITIVE_INFINITY;
      const labels: string[] = [];
      for (const [, key, value] of (match[2] as string).matchAll(LABEL)) {
        if (key === 'le') le = value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value);
        else labels.push(`${key}=${value}`);
      }
      const series = `${match[1]}{${labels.sort().join(',')}}`;
      const buckets = scrape.get(series) ?? new Map<number, number>();
      buckets.set(le, (buckets.get(le) ?? 0) + Number(match[3]));
      scrape.set(series, buckets);
    }
  }
  return scrape;
}

export interface SeriesLatency {
  series: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** Quantiles of what each series recorded between two scrapes (series with no samples left out). */
export function stepLatencies(before: HistogramScrape, after: HistogramScrape): SeriesLatency[] {
  const out: SeriesLatency[] = [];
  for (const [series, end] of after) {
    const start = before.get(series) ?? new Map<number, number>();
    const bounds = [...end.keys()].sort((a, b) => a - b);
    const cumulative = bounds.map((le) => (end.get(le) ?? 0) - (start.get(le) ?? 0));
    const count = cumulative.at(-1) ?? 0;
    if (count <= 0) continue;
    const quantile = (q: number) => {
      const rank = q * count;
      const i = cumulative.findIndex((c) => c >= rank);
      const upper = bounds[i] as number;
      const lower = i > 0 ? (bounds[i - 1] as number) : 0;
      // Past the last finite bound Prometheus answers that bound; so do we.
      if (!Number.isFinite(upper)) return lower * 1_000;
      const below = i > 0 ? (cumulative[i - 1] as number) : 0;
      const inBucket = (cumulative[i] as number) - below;
      return (lower + ((upper - lower) * (rank - below)) / Math.max(inBucket, 1)) * 1_000;
    };
    out.push({ series, count, p50Ms: quantile(0.5), p99Ms: quantile(0.99) });
  }
  return out.sort((a, b) => a.series.localeCompare(b.series));
}
