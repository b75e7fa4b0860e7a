import { register } from 'node:module';
import type { Config } from '../config/load-config';

/**
 * OpenTelemetry tracing of the send path: HTTP (incoming REST), Express routes, Socket.IO
 * handlers, ioredis and cassandra-driver. Imported by main.ts only when tracing is on, so a
 * node without OTEL_* settings loads none of it. Must run before the server's modules are
 * imported: instrumentations patch modules as they load (ESM through the import hook below).
 * Exporter, endpoint, headers and sampler come from the standard OTEL_* variables, which the
 * SDK reads itself.
 */
export async function startTracing(config: Pick<Config, 'tracing'>): Promise<() => Promise<void>> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [
    { NodeSDK },
    { HttpInstrumentation },
    { ExpressInstrumentation },
    { SocketIoInstrumentation },
    { IORedisInstrumentation },
    { CassandraDriverInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-socket.io'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-cassandra-driver'),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.tracing.serviceName,
    instrumentations: [
      // Probes and scrapes every second would drown the traces that matter.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ''),
      }),
      new ExpressInstrumentation(),
      new SocketIoInstrumentation(),
      new IORedisInstrumentation(),
      new CassandraDriverInstrumentation(),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
