import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { signUp } from '../helpers/http-client';
import { call, connect } from '../helpers/socket-client';

describe('OpenTelemetry tracing, switched on by the standard OTEL_* variables', () => {
  let node: CompiledNode | undefined;
  beforeAll(() => buildOnce(), 120_000);
  afterAll(() => {
    if (node?.child.exitCode === null) node.child.kill('SIGKILL');
  });

  it('traces REST, socket handlers, Cassandra and Redis on the send path', async () => {
    node = await startCompiledNode(
      clusterNodeEnv(inject('keyspace'), {
        // The SDK's console exporter prints finished spans on stdout.
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_SERVICE_NAME: 'parley-trace-test',
      }),
    );
    expect(node.logs().some((l) => l.msg === 'OpenTelemetry tracing on')).toBe(true);
    const user = await signUp(node.url);
    const socket = await connect(node.url, user.accessToken);
    const room = await call(socket, 'room:create', { name: 'traced' });
    await call(socket, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'hi' });
    socket.close();
    // SIGTERM flushes the exporter before the process exits.
    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    const out = node.output();
    expect(out).toContain("name: 'POST /auth/register'");
    expect(out).toContain("name: 'cassandra-driver.execute'");
    expect(out).toMatch(/'db\.system(\.name)?': 'redis'/);
    expect(out).toContain('@opentelemetry/instrumentation-socket.io');
    expect(out).toMatch(/name: 'message:send receive'|'messaging\.operation(\.type)?': 'receive'/);
  }, 60_000);
});
