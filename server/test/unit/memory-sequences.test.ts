import { createMemorySequences } from '../../src/cluster/memory-sequences';
import { describeSequencesContract } from '../contract/sequences-contract';

describeSequencesContract('memory', (age) => createMemorySequences(age));
