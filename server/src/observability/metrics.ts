import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so several nodes can live in one test process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    connections: new Gauge({
      name: 'parley_socket_connections',
      help: 'Open sockets on this node',
      registers: [registry],
    }),
    messagesStored: new Counter({
      name: 'parley_messages_stored_total',
      help: 'Messages made durable',
      registers: [registry],
    }),
    duplicateSends: new Counter({
      name: 'parley_duplicate_sends_total',
      help: 'Retried sends answered with the original message',
      registers: [registry],
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
      registers: [registry],
    }),
    eventErrors: new Counter({
      name: 'parley_event_errors_total',
      help: 'Socket events answered with an error, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
