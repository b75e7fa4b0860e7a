import { describe, expect, it } from 'vitest';
import { launcher } from '../helpers/cassandra-launcher';

// A ring port nothing else uses: no JVM is started, only the launcher's own bookkeeping runs.
const ring = { CASSANDRA_PORT: process.env.PARLEY_TEST_IDLE_RING_PORT ?? '9049' };

describe('cassandra.sh --nodes N: exit status of down', () => {
  it('`down` of a ring that is not running succeeds (callers treat a failure as a leak)', async () => {
    const down = await launcher(['down', '--nodes', '3'], ring, 60_000);
    expect(down.output).toContain('[node3] cassandra.sh: Cassandra not running');
    expect(down.code, down.output).toBe(0);
    // status, by contrast, says "not running" with a failure: that is what callers test.
    expect((await launcher(['status', '--nodes', '3'], ring, 60_000)).code).not.toBe(0);
  });
});
