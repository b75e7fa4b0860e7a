import { createMemorySendLedger } from '../../src/cluster/memory-send-ledger';
import { describeSendLedgerContract } from '../contract/send-ledger-contract';

describeSendLedgerContract('memory', (timings) => createMemorySendLedger(timings));
