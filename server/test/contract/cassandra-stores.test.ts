import { afterAll, inject } from 'vitest';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import { createCassandraStores } from '../../src/storage/cassandra/cassandra-stores';
import { cassandraTestConfig } from '../helpers/services';
import { describeStorageContract } from './storage-contract';

const keyspace = inject('keyspace');
const stores = createCassandraStores(
  createCassandraClient(cassandraTestConfig(keyspace), keyspace),
);
afterAll(() => stores.close());

describeStorageContract('cassandra (real)', () => stores);
