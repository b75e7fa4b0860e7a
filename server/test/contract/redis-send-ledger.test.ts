import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { createRedisSendLedger } from '../../src/cluster/redis-send-ledger';
import { deleteKeys, openTestRedis } from '../helpers/redis-admin';
import { describeSendLedgerContract } from './send-ledger-contract';

const client = openTestRedis();
const prefix = `t${randomBytes(4).toString('hex')}:`;
afterAll(() => client.quit());

/** Loses this suite's keys only (the Redis server is shared), like a restart would. */
async function loseState() {
  await deleteKeys(client, `${prefix}*`);
}

describeSendLedgerContract(
  'redis (real)',
  (timings) => createRedisSendLedger(client, prefix, timings),
  loseState,
);
