import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const fastBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * One registry per app instance, so several nodes can live in one test process. Every name
 * here is queried by ops/grafana/parley.json or ops/prometheus/alerts.yml (a test checks).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  /** Values read at scrape time, set by the capability that owns them. */
  const sources = { localUsers: () => 0 };
  return {
    registry,
    sources,
    connections: new Gauge({
      name: 'parley_socket_connections',
      help: 'Open sockets on this node',
      registers,
    }),
    connects: new Counter({
      name: 'parley_socket_connects_total',
      help: 'Sockets accepted, by kind: first connection of a client or a reconnect',
      labelNames: ['kind'],
      registers,
    }),
    disconnects: new Counter({
      name: 'parley_socket_disconnects_total',
      help: 'Sockets closed, by Socket.IO reason',
      labelNames: ['reason'],
      registers,
    }),
    messagesStored: new Counter({
      name: 'parley_messages_stored_total',
      help: 'Messages made durable',
      registers,
    }),
    duplicateSends: new Counter({
      name: 'parley_duplicate_sends_total',
      help: 'Retried sends answered with the original message',
      registers,
    }),
    sendOutcomes: new Counter({
      name: 'parley_send_outcomes_total',
      help: 'Send attempts by outcome: stored, rewritten (retry of an uncertain write), replayed, maybe_applied, not_applied, late, reseed_quiet',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    sendLatency: new Histogram({
      name: 'parley_send_duration_seconds',
      help: 'message:send from receipt to ack',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    eventErrors: new Counter({
      name: 'parley_event_errors_total',
      help: 'Socket events answered with an error, by code',
      labelNames: ['code'],
      registers,
    }),
    socketRequests: new Counter({
      name: 'parley_socket_requests_total',
      help: 'Socket requests answered, by event and outcome (ok or the error code)',
      labelNames: ['event', 'outcome'],
      registers,
    }),
    socketRequestLatency: new Histogram({
      name: 'parley_socket_request_duration_seconds',
      help: 'Socket request from receipt to ack, by event',
      labelNames: ['event'],
      buckets: fastBuckets,
      registers,
    }),
    catchUpReads: new Counter({
      name: 'parley_catch_up_reads_total',
      help: 'history:fetch requests (clients catching up after a reconnect or a gap)',
      registers,
    }),
    deliveries: new Counter({
      name: 'parley_deliveries_total',
      help: 'message:created events handed to local sockets',
      registers,
    }),
    fanOutLatency: new Histogram({
      name: 'parley_fanout_latency_seconds',
      help: 'From the message being stored to its broadcast to local sockets (cross-node via Redis)',
      buckets: fastBuckets,
      registers,
    }),
    httpRequests: new Counter({
      name: 'parley_http_requests_total',
      help: 'REST requests, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpLatency: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'REST request duration, by route',
      labelNames: ['route'],
      buckets: fastBuckets,
      registers,
    }),
    logins: new Counter({
      name: 'parley_logins_total',
      help: 'Login attempts, by outcome (success, failure, throttled, invalid)',
      labelNames: ['outcome'],
      registers,
    }),
    onlineUsers: new Gauge({
      name: 'parley_presence_local_users',
      help: 'Users with at least one socket on this node (presence)',
      registers,
      collect() {
        this.set(sources.localUsers());
      },
    }),
    redisCommands: new Histogram({
      name: 'parley_redis_command_duration_seconds',
      help: 'Redis command latency, by client role',
      labelNames: ['client'],
      buckets: fastBuckets,
      registers,
    }),
    redisErrors: new Counter({
      name: 'parley_redis_errors_total',
      help: 'Redis commands that failed, by client role',
      labelNames: ['client'],
      registers,
    }),
    cassandraRequests: new Histogram({
      name: 'parley_cassandra_request_duration_seconds',
      help: 'Cassandra request latency as the driver measured it',
      buckets: fastBuckets,
      registers,
    }),
    cassandraErrors: new Counter({
      name: 'parley_cassandra_errors_total',
      help: 'Cassandra requests that failed, by driver error name',
      labelNames: ['error'],
      registers,
    }),
    draining: new Gauge({
      name: 'parley_draining',
      help: '1 while this node drains after SIGTERM',
      registers,
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
