import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createLogger } from '../../src/observability/logger';
import { createRedisPresence } from '../../src/presence/redis-presence';
import { testServices } from '../helpers/services';
import { describePresenceRegistryContract } from './presence-registry-contract';

const client = new Redis(testServices().redisUrl);
afterAll(() => client.quit());
const logger = createLogger({ logLevel: 'silent', nodeId: 'presence-contract' });

describePresenceRegistryContract('redis (real)', {
  // A fresh key prefix per registry: each test starts from an empty cluster.
  create: () => createRedisPresence(client, `t${randomBytes(4).toString('hex')}:`, logger),
  // Redis reads its own clock (TIME): real time has to pass.
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
