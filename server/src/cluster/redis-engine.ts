import type { EventEmitter } from 'node:events';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config/load-config';
import { instrumentRedis } from '../observability/driver-metrics';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createRedisPresence } from '../presence/redis-presence';
import type { Engine, SendTimings } from './engine';
import { SEND_TIMING_DEFAULTS } from './engine';
import { deliverLocallyFirst } from './local-first-broadcast';
import { closeRedis, openRedis, type RedisClient } from './redis-client';
import { redisKeys } from './redis-keys';
import { createRedisSendLedger } from './redis-send-ledger';

type RedisConfig = NonNullable<Config['redis']>;

/** The cluster engine: Redis pub/sub adapter, Redis counters, limits and send bindings. */
export function createRedisEngine(
  config: RedisConfig,
  logger: Logger,
  sendTimings: SendTimings = SEND_TIMING_DEFAULTS,
  /** When given, command latency and errors are recorded (observability/driver-metrics.ts). */
  metrics?: Metrics,
): Engine {
  const prefix = config.keyPrefix;
  const keys = redisKeys(prefix);
  const options = { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false };
  const cmd = openRedis(config, options);
  if (metrics) instrumentRedis(cmd, 'command', metrics);
  // Pub/sub needs connections of its own. The subscriber reconnects forever; the
  // publisher gives up on a publish quickly, because the adapter fires publishes without
  // awaiting them and a late rejection would be unhandled (see settleUnawaited).
  const pub = settleUnawaited(
    openRedis(config, { maxRetriesPerRequest: 1 }),
    ['publish', 'spublish'],
    'publish failed (Redis unavailable)',
    logger,
  );
  const sub = settleUnawaited(
    openRedis(config, { sharded: config.adapter === 'sharded' }),
    ['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe'],
    'redis subscription change failed',
    logger,
  );
  for (const [name, client] of [
    ['command', cmd],
    ['publish', pub],
    ['subscribe', sub],
  ] as const) {
    // Redis and Cluster overload `on` differently; both are EventEmitters.
    (client as EventEmitter).on('error', (err: Error) =>
      logger.warn({ err: err.message, client: name }, 'redis connection error'),
    );
  }

  return {
    kind: 'cluster',
    attach(io, onResync) {
      io.adapter(
        config.adapter === 'sharded'
          ? deliverLocallyFirst(
              createShardedAdapter(pub, sub, { channelPrefix: keys.adapterChannel }),
            )
          : createAdapter(pub, sub, {
              key: keys.adapterChannel,
              publishOnSpecificResponseChannel: true,
            }),
      );
      // A subscriber that reconnects has missed whatever was published meanwhile
      // (pub/sub is at-most-once), so our sockets must catch up from history.
      let lost = false;
      sub.on('close', () => {
        lost = true;
      });
      sub.on('ready', () => {
        if (!lost) return;
        lost = false;
        onResync('redis subscription restored');
      });
    },
    createRateLimiter: ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterRedis({
        storeClient: cmd,
        keyPrefix: keys.rateLimit(keyPrefix),
        points,
        duration: durationSeconds,
        // Redis down must not lock everyone out nor lift every limit: fall back to a per-node limit.
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
      }),
    ...createRedisSendLedger(cmd, prefix, sendTimings),
    presence: createRedisPresence(cmd, prefix, logger),
    async ping() {
      try {
        return (await cmd.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.allSettled([cmd, pub, sub].map(closeRedis));
    },
  };
}

/**
 * The Socket.IO Redis adapters fire some commands without handling the promise: publishes
 * on the publisher, and subscription changes on the subscriber (@socket.io/redis-adapter
 * 8.3: SSUBSCRIBE / SUNSUBSCRIBE in its util.js). During a Redis outage, or when a node
 * closes before its cluster client is ready (`quit` rejects every queued command), each
 * failure would be an unhandled rejection, which stops a Node process. So these commands
 * note a failure and resolve. A lost publish or subscription change costs nothing extra:
 * when the subscriber reconnects (ioredis re-subscribes), every node tells its sockets to
 * resync from history (`attach`).
 */
function settleUnawaited<C extends RedisClient>(
  client: C,
  commands: readonly string[],
  failure: string,
  logger: Logger,
): C {
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of commands) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = (...args: unknown[]) =>
      Promise.resolve(original.apply(client, args)).catch((err: unknown) => {
        logger.warn(
          { err: err instanceof Error ? err.message : String(err), command: name },
          failure,
        );
        return 0;
      });
  }
  return client;
}
