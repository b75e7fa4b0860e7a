import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createRedisSequences } from '../../src/cluster/redis-sequences';
import { testServices } from '../helpers/services';
import { describeSequencesContract } from './sequences-contract';

const client = new Redis(testServices().redisUrl);
const prefix = `t${randomBytes(4).toString('hex')}:`;
afterAll(() => client.quit());

describeSequencesContract('redis (real)', (age) => createRedisSequences(client, prefix, age));
