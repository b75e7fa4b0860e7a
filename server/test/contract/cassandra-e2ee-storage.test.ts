import { afterAll, inject } from 'vitest';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import { createCassandraStores } from '../../src/storage/cassandra/cassandra-stores';
import { cassandraTestConfig } from '../helpers/services';
import { describeE2eeStorageContract } from './e2ee-storage-contract';

const keyspace = inject('keyspace');
const stores = createCassandraStores(
  createCassandraClient(cassandraTestConfig(keyspace), keyspace),
);
afterAll(() => stores.close());

describeE2eeStorageContract('cassandra (real)', () => stores);
