import type { Command, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { instrumentRedis } from '../../src/observability/driver-metrics';
import { createMetrics } from '../../src/observability/metrics';

describe('instrumentRedis', () => {
  it('passes every argument on: a Cluster re-sends its offline queue with the target node', async () => {
    const calls: unknown[][] = [];
    const client = {
      sendCommand: (...args: unknown[]) => {
        calls.push(args);
        return 'sent';
      },
    } as unknown as Pick<Redis, 'sendCommand'>;
    const metrics = createMetrics();
    instrumentRedis(client, 'command', metrics);

    const command = { promise: Promise.resolve('OK') } as unknown as Command;
    const stream = { writable: true };
    const node = { slot: 42 };
    // ioredis' Cluster#executeOfflineCommands: `this.sendCommand(item.command, item.stream, item.node)`.
    const sendCommand = client.sendCommand as unknown as (...args: unknown[]) => unknown;
    expect(sendCommand(command, stream, node)).toBe('sent');
    expect(calls).toEqual([[command, stream, node]]);

    await command.promise;
    const timed = await metrics.registry.getSingleMetricAsString(
      'parley_redis_command_duration_seconds',
    );
    expect(timed).toMatch(/parley_redis_command_duration_seconds_count\{client="command"\} 1/);
  });
});
