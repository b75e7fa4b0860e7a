import { createMemoryPresence } from '../../src/presence/memory-presence';
import { describePresenceRegistryContract } from '../contract/presence-registry-contract';

let clock = Date.now();
describePresenceRegistryContract('memory', {
  create: () => createMemoryPresence(() => clock),
  pass: async (ms) => {
    clock += ms;
  },
});
