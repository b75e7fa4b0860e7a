import type { NodeOverviewReport } from '@parley/contract';
import type { ParleyServer } from '../realtime/socket-types';
import type { Engine } from '../cluster/engine';
import type { Metrics } from '../observability/metrics';

/** Id lists in a node's report stop here; beyond it the union is a lower bound. */
const MAX_IDS_PER_NODE = 10_000;
const SAMPLE_EVERY_MS = 5_000;
const RATE_WINDOW_MS = 60_000;
/**
 * The adapter gives up after its requestsTimeout (5 s by default) and reports what it
 * got; this guard only protects against an adapter that never calls back at all.
 */
const GUARD_MS = 7_000;

export type NodeFigures = Omit<
  NodeOverviewReport,
  'onlineUserIds' | 'activeRoomIds' | 'idsTruncated'
> & { onlineUsers: number; activeRooms: number };

export interface ClusterOverview {
  nodes: NodeFigures[];
  expectedNodes: number | null;
  answeredNodes: number;
  partial: boolean;
  totals: {
    connections: number;
    onlineUsers: number;
    activeRooms: number;
    messagesPerSecond: number;
  };
}

/**
 * Answers `overview:collect` for this node and gathers every node's answer for
 * GET /admin/overview. messages/s comes from the parley_messages_stored_total counter,
 * sampled every 5 s over a sliding minute.
 */
export function createClusterOverview(deps: {
  io: ParleyServer;
  engine: Engine;
  metrics: Metrics;
  nodeId: string;
}) {
  const { io, engine, metrics, nodeId } = deps;
  const startedAt = Date.now();
  const samples: { at: number; total: number }[] = [{ at: startedAt, total: 0 }];

  const storedTotal = async () => (await metrics.messagesStored.get()).values[0]?.value ?? 0;
  const timer = setInterval(() => {
    void storedTotal().then((total) => {
      samples.push({ at: Date.now(), total });
      while (samples.length > 1 && Date.now() - (samples[0]?.at ?? 0) > RATE_WINDOW_MS)
        samples.shift();
    });
  }, SAMPLE_EVERY_MS);
  timer.unref();
  io.httpServer?.once('close', () => clearInterval(timer));

  async function localReport(): Promise<NodeOverviewReport> {
    const total = await storedTotal();
    const oldest = samples[0] ?? { at: startedAt, total: 0 };
    const seconds = (Date.now() - oldest.at) / 1000;
    const users = new Set<string>();
    for (const socket of io.of('/').sockets.values()) users.add(socket.data.userId);
    const rooms: string[] = [];
    for (const name of io.of('/').adapter.rooms.keys()) {
      if (name.startsWith('room:')) rooms.push(name.slice('room:'.length));
    }
    const userIds = [...users];
    return {
      nodeId,
      connections: io.of('/').sockets.size,
      onlineUserIds: userIds.slice(0, MAX_IDS_PER_NODE),
      activeRoomIds: rooms.slice(0, MAX_IDS_PER_NODE),
      idsTruncated: userIds.length > MAX_IDS_PER_NODE || rooms.length > MAX_IDS_PER_NODE,
      messagesStoredTotal: total,
      messagesPerSecond: seconds >= 1 ? round((total - oldest.total) / seconds) : 0,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  }

  io.on('overview:collect', (reply) => {
    void localReport().then(reply);
  });

  async function remoteReports(): Promise<{
    reports: NodeOverviewReport[];
    expected: number | null;
    failed: boolean;
  }> {
    if (engine.kind === 'embedded') return { reports: [], expected: 1, failed: false };
    const adapter = io.of('/').adapter as { serverCount?: () => Promise<number> };
    const expected = adapter.serverCount ? await adapter.serverCount().catch(() => null) : null;
    return new Promise((resolve) => {
      const guard = setTimeout(() => resolve({ reports: [], expected, failed: true }), GUARD_MS);
      io.serverSideEmit(
        'overview:collect',
        (err: Error | null, responses: NodeOverviewReport[]) => {
          clearTimeout(guard);
          resolve({ reports: responses ?? [], expected, failed: Boolean(err) });
        },
      );
    });
  }

  return {
    async collect(): Promise<ClusterOverview> {
      const [local, remote] = await Promise.all([localReport(), remoteReports()]);
      const reports = [local, ...remote.reports];
      const users = new Set(reports.flatMap((r) => r.onlineUserIds));
      const rooms = new Set(reports.flatMap((r) => r.activeRoomIds));
      const answered = reports.length;
      return {
        nodes: reports.map(({ onlineUserIds, activeRoomIds, idsTruncated: _t, ...figures }) => ({
          ...figures,
          onlineUsers: onlineUserIds.length,
          activeRooms: activeRoomIds.length,
        })),
        expectedNodes: remote.expected,
        answeredNodes: answered,
        partial: remote.failed || (remote.expected !== null && answered < remote.expected),
        totals: {
          connections: sum(reports.map((r) => r.connections)),
          onlineUsers: users.size,
          activeRooms: rooms.size,
          messagesPerSecond: round(sum(reports.map((r) => r.messagesPerSecond))),
        },
      };
    },
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const round = (value: number) => Math.round(value * 100) / 100;
