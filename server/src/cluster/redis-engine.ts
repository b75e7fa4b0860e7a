import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Message } from '@parley/contract';
import type { Config } from '../config/load-config';
import { instrumentRedis } from '../observability/driver-metrics';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createRedisPresence } from '../presence/redis-presence';
import type { ClaimResult, Engine } from './engine';
import { CLAIM_DONE_SECONDS, CLAIM_IN_FLIGHT_SECONDS } from './engine';
import { createRedisSequences } from './redis-sequences';

type RedisConfig = NonNullable<Config['redis']>;

// One round trip: either the finished message, an in-flight marker, or a fresh claim.
const CLAIM_SEND = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], '', 'EX', ARGV[1])
return false`;

interface ParleyRedis extends Redis {
  parleyClaimSend(key: string, ttl: number): Promise<string | null>;
}

/** The cluster engine: Redis pub/sub adapter, Redis counters, limits and claims. */
export function createRedisEngine(
  config: RedisConfig,
  logger: Logger,
  /** When given, command latency and errors are recorded (observability/driver-metrics.ts). */
  metrics?: Metrics,
): Engine {
  const prefix = config.keyPrefix;
  const options = { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false };
  const cmd = new Redis(config.url, options) as ParleyRedis;
  if (metrics) instrumentRedis(cmd, 'command', metrics);
  cmd.defineCommand('parleyClaimSend', { numberOfKeys: 1, lua: CLAIM_SEND });
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
    sequences: createRedisSequences(cmd, prefix),
    sendClaims: {
      async claim(key): Promise<ClaimResult> {
        const value = await cmd.parleyClaimSend(`${prefix}send:${key}`, CLAIM_IN_FLIGHT_SECONDS);
        if (value === null) return { state: 'new' };
        if (value === '') return { state: 'in-flight' };
        return { state: 'done', message: JSON.parse(value) as Message };
      },
      async complete(key, message: Message) {
        await cmd.set(`${prefix}send:${key}`, JSON.stringify(message), 'EX', CLAIM_DONE_SECONDS);
      },
      async release(key) {
        await cmd.del(`${prefix}send:${key}`);
      },
    },
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
