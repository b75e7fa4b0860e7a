import type { LiveMetricsSnapshot, ParleyClient } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../shared/format';
import { LiveChart } from './live-chart';

/** Points kept per chart: five minutes at one snapshot a second. */
const HISTORY = 300;

interface Series {
  t: number[];
  connections: number[];
  deliveries: number[];
  errors: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

const empty = (): Series => ({
  t: [],
  connections: [],
  deliveries: [],
  errors: [],
  p50: [],
  p95: [],
  p99: [],
});

function append(series: Series, s: LiveMetricsSnapshot): Series {
  const keep = <T,>(list: T[], value: T) => [...list, value].slice(-HISTORY);
  const { totals } = s;
  return {
    t: keep(series.t, Date.parse(s.at) / 1000),
    connections: keep(series.connections, totals.connections),
    deliveries: keep(series.deliveries, totals.deliveriesPerSecond),
    errors: keep(series.errors, totals.errorsPerSecond),
    p50: keep(series.p50, totals.fanoutLatencyMs.p50),
    p95: keep(series.p95, totals.fanoutLatencyMs.p95),
    p99: keep(series.p99, totals.fanoutLatencyMs.p99),
  };
}

const ms = (v: number | null) => (v === null ? '—' : `≤ ${v} ms`);

/** The live cluster dashboard: pushed over the /admin-live socket about once a second. */
export function Dashboard(props: { client: ParleyClient }) {
  const [latest, setLatest] = useState<LiveMetricsSnapshot | undefined>();
  const [series, setSeries] = useState<Series>(empty);
  const [error, setError] = useState<string | undefined>();

  useEffect(
    () =>
      props.client.admin.watchMetrics(
        (snapshot) => {
          setError(undefined);
          setLatest(snapshot);
          setSeries((prev) => append(prev, snapshot));
        },
        (err) => setError(errorText(err)),
      ),
    [props.client],
  );

  const totals = latest?.totals;
  return (
    <section aria-label="Cluster dashboard" data-snapshots={series.t.length}>
      {error && (
        <p class="banner bad" role="alert">
          Live feed: {error}
        </p>
      )}
      {latest?.partial && (
        <p class="banner warn" role="status">
          Some nodes did not answer in time: figures are a lower bound.
        </p>
      )}
      <dl class="tiles">
        <Tile label="Nodes" value={totals?.nodes} testId="tile-nodes" />
        <Tile label="Connections" value={totals?.connections} testId="tile-connections" />
        <Tile label="Deliveries / s" value={totals?.deliveriesPerSecond} testId="tile-deliveries" />
        <Tile label="Fan-out p50" value={totals && ms(totals.fanoutLatencyMs.p50)} />
        <Tile label="Fan-out p95" value={totals && ms(totals.fanoutLatencyMs.p95)} />
        <Tile label="Fan-out p99" value={totals && ms(totals.fanoutLatencyMs.p99)} />
        <Tile label="Errors / s" value={totals?.errorsPerSecond} testId="tile-errors" />
      </dl>
      <div class="charts">
        <LiveChart
          title="Connections and deliveries per second"
          unit="count"
          series={[
            { label: 'connections', color: '#0a58ca' },
            { label: 'deliveries/s', color: '#1a7f37' },
            { label: 'errors/s', color: '#b42318' },
          ]}
          data={[series.t, series.connections, series.deliveries, series.errors]}
        />
        <LiveChart
          title="Fan-out latency (stored → written to socket)"
          unit="ms"
          series={[
            { label: 'p50', color: '#1a7f37' },
            { label: 'p95', color: '#9a6700' },
            { label: 'p99', color: '#b42318' },
          ]}
          data={[series.t, series.p50, series.p95, series.p99]}
        />
      </div>
      <h2>Nodes</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Connections</th>
            <th scope="col">Deliveries / s</th>
            <th scope="col">Errors / s</th>
            <th scope="col">Uptime</th>
          </tr>
        </thead>
        <tbody>
          {(latest?.nodes ?? []).map((n) => (
            <tr key={n.nodeId}>
              <td>{n.nodeId}</td>
              <td>{n.connections}</td>
              <td>{n.deliveriesPerSecond}</td>
              <td>{n.errorsPerSecond}</td>
              <td>{n.uptimeSeconds} s</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Tile(props: { label: string; value: string | number | undefined; testId?: string }) {
  return (
    <div class="tile card">
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.value ?? '…'}</dd>
    </div>
  );
}
