import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import { describeStorageContract } from '../contract/storage-contract';

describeStorageContract('memory', () => createMemoryStores());
