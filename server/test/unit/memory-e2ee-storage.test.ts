import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import { describeE2eeStorageContract } from '../contract/e2ee-storage-contract';

describeE2eeStorageContract('memory', () => createMemoryStores());
