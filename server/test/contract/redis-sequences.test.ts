import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { openRedis } from '../../src/cluster/redis-client';
import { createRedisSequences } from '../../src/cluster/redis-sequences';
import { testServices } from '../helpers/services';
import { describeSequencesContract } from './sequences-contract';

const client = openRedis(testServices().redisTarget);
const prefix = `t${randomBytes(4).toString('hex')}:`;
afterAll(() => client.quit());

describeSequencesContract('redis (real)', (age) => createRedisSequences(client, prefix, age));
