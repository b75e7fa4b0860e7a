import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config/load-config';
import type { Logger } from '../observability/logger';
import { createRedisPresence } from '../presence/redis-presence';
import type { Engine, SendTimings } from './engine';
import { SEND_TIMING_DEFAULTS } from './engine';
import { createRedisSendLedger } from './redis-send-ledger';

type RedisConfig = NonNullable<Config['redis']>;

/** The cluster engine: Redis pub/sub adapter, Redis counters, limits and send bindings. */
export function createRedisEngine(
  config: RedisConfig,
  logger: Logger,
  sendTimings: SendTimings = SEND_TIMING_DEFAULTS,
): Engine {
  const prefix = config.keyPrefix;
  const options = { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false };
  const cmd = new Redis(config.url, options);
  // Pub/sub needs connections of its own. The subscriber reconnects forever; the
  // publisher gives up on a publish quickly, because the adapter fires publishes without
  // awaiting them and a late rejection would be unhandled (see swallowPublishErrors).
  const pub = swallowPublishErrors(new Redis(config.url, { maxRetriesPerRequest: 1 }), logger);
  const sub = new Redis(config.url);
  for (const [name, client] of [
    ['command', cmd],
    ['publish', pub],
    ['subscribe', sub],
  ] as const) {
    client.on('error', (err: Error) =>
      logger.warn({ err: err.message, client: name }, 'redis connection error'),
    );
  }

  return {
    kind: 'cluster',
    attach(io, onResync) {
      io.adapter(
        config.adapter === 'sharded'
          ? createShardedAdapter(pub, sub, { channelPrefix: `${prefix}sio` })
          : createAdapter(pub, sub, {
              key: `${prefix}sio`,
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
        keyPrefix: `${prefix}rl:${keyPrefix}`,
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
      await Promise.allSettled([cmd.quit(), pub.quit(), sub.quit()]);
    },
  };
}

/**
 * The Socket.IO Redis adapters call publish/spublish without handling the promise, so
 * during a Redis outage each broadcast would become an unhandled rejection (which stops
 * a Node process). A lost publish costs nothing extra: when the subscriber reconnects,
 * every node tells its sockets to resync from history anyway.
 */
function swallowPublishErrors(client: Redis, logger: Logger): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property !== 'publish' && property !== 'spublish') || typeof value !== 'function')
        return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>)
          .apply(target, args)
          .catch((err: unknown) => {
            logger.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'publish failed (Redis unavailable)',
            );
            return 0;
          });
    },
  });
}
