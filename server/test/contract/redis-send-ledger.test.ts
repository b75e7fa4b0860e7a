import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createRedisSendLedger } from '../../src/cluster/redis-send-ledger';
import { testServices } from '../helpers/services';
import { describeSendLedgerContract } from './send-ledger-contract';

const client = new Redis(testServices().redisUrl);
const prefix = `t${randomBytes(4).toString('hex')}:`;
afterAll(() => client.quit());

/** Loses this suite's keys only (the Redis server is shared), like a restart would. */
async function loseState() {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
}

describeSendLedgerContract(
  'redis (real)',
  (timings) => createRedisSendLedger(client, prefix, timings),
  loseState,
);
