import {
  FANOUT_LATENCY_BUCKETS_MS,
  type LiveMetricsSnapshot,
  type NodeLiveMetrics,
} from '@parley/contract';
import type { ParleyServer } from '../realtime/socket-types';
import type { AuthService } from '../auth/auth-service';
import type { Engine } from '../cluster/engine';
import { AppError, toErrorBody } from '../errors';
import type { Metrics } from '../observability/metrics';

/** The Socket.IO namespace the admin dashboard connects to. */
export const LIVE_METRICS_NAMESPACE = '/admin-live';
const WINDOW_MS = 1_000;
const GUARD_MS = 7_000;

/**
 * The dashboard's live feed. Every node counts what it writes to its sockets: each
 * `message:created` packet is one delivery, and its age (now − createdAt, stamped when the
 * message was stored) is the fan-out latency. Counters close a window every second; a
 * node with admins watching gathers every node's last window and pushes the result.
 */
export function installLiveMetrics(deps: {
  io: ParleyServer;
  engine: Engine;
  metrics: Metrics;
  auth: AuthService;
  nodeId: string;
  /** Same allowlist as REST CORS and the chat handshake; undefined = any origin. */
  allowedOrigins?: string[];
}) {
  const { io, engine, metrics, auth, nodeId } = deps;
  const origins = deps.allowedOrigins && new Set(deps.allowedOrigins);
  const startedAt = Date.now();
  const slots = FANOUT_LATENCY_BUCKETS_MS.length + 1;
  let counts = new Array<number>(slots).fill(0);
  let deliveries = 0;
  let lastPayload: unknown;
  let lastCreatedAt = 0;
  let errorsSeen = 0;
  let window: NodeLiveMetrics = emptyWindow();

  function emptyWindow(): NodeLiveMetrics {
    return {
      nodeId,
      connections: io.of('/').sockets.size,
      deliveriesPerSecond: 0,
      errorsPerSecond: 0,
      fanoutLatencyCounts: new Array<number>(slots).fill(0),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  }

  io.on('connection', (socket) => {
    socket.onAnyOutgoing((event, payload: unknown) => {
      if (event !== 'message:created') return;
      deliveries++;
      // One broadcast hands the same object to every socket: parse its time once.
      if (payload !== lastPayload) {
        lastPayload = payload;
        lastCreatedAt = Date.parse((payload as { createdAt?: string }).createdAt ?? '');
      }
      if (Number.isNaN(lastCreatedAt)) return;
      const ms = Date.now() - lastCreatedAt;
      let i = 0;
      while (i < FANOUT_LATENCY_BUCKETS_MS.length && ms > (FANOUT_LATENCY_BUCKETS_MS[i] ?? 0)) i++;
      counts[i] = (counts[i] ?? 0) + 1;
    });
  });

  let windowStart = Date.now();
  const tick = setInterval(() => {
    void totalErrors(metrics).then((errors) => {
      const seconds = Math.max(0.001, (Date.now() - windowStart) / 1000);
      windowStart = Date.now();
      window = {
        ...emptyWindow(),
        deliveriesPerSecond: round(deliveries / seconds),
        errorsPerSecond: round(Math.max(0, errors - errorsSeen) / seconds),
        fanoutLatencyCounts: counts,
      };
      errorsSeen = errors;
      deliveries = 0;
      counts = new Array<number>(slots).fill(0);
      if (watchers.sockets.size > 0) void pushSnapshot();
    });
  }, WINDOW_MS);
  tick.unref();
  io.httpServer?.once('close', () => clearInterval(tick));

  // Connections are read live; the rates come from the last closed window.
  const current = (): NodeLiveMetrics => ({ ...window, connections: io.of('/').sockets.size });
  io.on('metrics:collect', (reply) => reply(current()));

  async function remoteWindows(): Promise<{ reports: NodeLiveMetrics[]; failed: boolean }> {
    if (engine.kind === 'embedded') return { reports: [], failed: false };
    return new Promise((resolve) => {
      // The adapter answers with what it has after its requestsTimeout (a dead node);
      // the guard covers an adapter that never calls back.
      const guard = setTimeout(() => resolve({ reports: [], failed: true }), GUARD_MS);
      io.serverSideEmit('metrics:collect', (err: Error | null, responses: NodeLiveMetrics[]) => {
        clearTimeout(guard);
        resolve({ reports: responses ?? [], failed: Boolean(err) });
      });
    });
  }

  let collecting = false;
  async function pushSnapshot() {
    if (collecting) return; // a slow cluster: skip a tick rather than pile requests up
    collecting = true;
    try {
      const remote = await remoteWindows();
      watchers.local.emit(
        'metrics:updated',
        summarize([current(), ...remote.reports], remote.failed),
      );
    } finally {
      collecting = false;
    }
  }

  // Only admins: the token is checked and the stored account must hold the admin role.
  const watchers = io.of(LIVE_METRICS_NAMESPACE);
  watchers.use(async (socket, next) => {
    try {
      // As on the chat namespace: CORS does not guard WebSocket upgrades, so check here.
      const origin = socket.handshake.headers.origin;
      if (origins && origin !== undefined && !origins.has(origin))
        throw new AppError('FORBIDDEN', 'origin not allowed');
      const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
      const { user } = await auth.authenticate(token);
      if (!user.roles.includes('admin')) throw new AppError('FORBIDDEN', 'admin role required');
      next();
    } catch (err) {
      const { body } = toErrorBody(err);
      next(
        Object.assign(new Error(body.message), {
          data: { code: body.code, message: body.message },
        }),
      );
    }
  });
  watchers.on('connection', (socket) => {
    // The first frame at once, so a dashboard never starts empty.
    socket.emit('metrics:updated', summarize([current()], engine.kind !== 'embedded'));
  });
}

async function totalErrors(metrics: Metrics): Promise<number> {
  const { values } = await metrics.eventErrors.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Sums node windows; percentiles come from the merged histogram (bucket upper bounds). */
export function summarize(nodes: NodeLiveMetrics[], partial: boolean): LiveMetricsSnapshot {
  const merged = new Array<number>(FANOUT_LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const node of nodes)
    node.fanoutLatencyCounts.forEach((c, i) => (merged[i] = (merged[i] ?? 0) + c));
  const sum = (pick: (n: NodeLiveMetrics) => number) =>
    round(nodes.reduce((total, n) => total + pick(n), 0));
  return {
    at: new Date().toISOString(),
    nodes,
    partial,
    totals: {
      nodes: nodes.length,
      connections: sum((n) => n.connections),
      deliveriesPerSecond: sum((n) => n.deliveriesPerSecond),
      errorsPerSecond: sum((n) => n.errorsPerSecond),
      fanoutLatencyMs: {
        p50: percentile(merged, 0.5),
        p95: percentile(merged, 0.95),
        p99: percentile(merged, 0.99),
      },
    },
  };
}

function percentile(counts: number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank)
      return FANOUT_LATENCY_BUCKETS_MS[i] ?? (FANOUT_LATENCY_BUCKETS_MS.at(-1) as number) * 2;
  }
  return null;
}

const round = (value: number) => Math.round(value * 100) / 100;
