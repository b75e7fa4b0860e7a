import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { createLogger } from '../../src/observability/logger';
import { createRedisPresence } from '../../src/presence/redis-presence';
import { openTestRedis } from '../helpers/redis-admin';
import { describePresenceRegistryContract } from './presence-registry-contract';

// Standalone or cluster client, as the suite runs (`npm run test:redis-cluster`).
const client = openTestRedis();
afterAll(() => client.quit());
const logger = createLogger({ logLevel: 'silent', nodeId: 'presence-contract' });

describePresenceRegistryContract('redis (real)', {
  // A fresh key prefix per registry: each test starts from an empty cluster.
  create: () => createRedisPresence(client, `t${randomBytes(4).toString('hex')}:`, logger),
  // Redis reads its own clock (TIME): real time has to pass.
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
