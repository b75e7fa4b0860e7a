import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on the contract's TypeScript source; its package.json exports the built dist/
// (`npm run build`) for production. tsc and tsx get the same mapping from tsconfig `paths`.
const resolve = {
  alias: { '@parley/contract': fileURLToPath(new URL('contract/src/index.ts', import.meta.url)) },
};

// Unit tests need nothing running. Integration and storage-contract tests need real
// Redis + Cassandra: `npm test` starts them (scripts/test.sh) and passes their
// addresses in PARLEY_TEST_REDIS_URL / PARLEY_TEST_CASSANDRA.
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: [
            'server/test/unit/**/*.test.ts',
            'client-sdk/test/unit/**/*.test.ts',
            'web/test/unit/**/*.test.ts',
          ],
          typecheck: { enabled: true, include: ['client-sdk/test/types/**/*.test-d.ts'] },
          // A guard against hangs, not a speed claim: some unit tests spawn a node process or
          // run hundreds of HTTP round trips, and they share 2 cores with the integration project.
          testTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: [
            'server/test/contract/**/*.test.ts',
            'server/test/integration/**/*.test.ts',
            'server/test/deploy/**/*.test.ts',
            'client-sdk/test/integration/**/*.test.ts',
            // The web app in real headless Chromium against two real nodes.
            'web/test/browser/**/*.test.ts',
          ],
          globalSetup: ['server/test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores and one Cassandra: files run one after another, predictable and fair.
          fileParallelism: false,
        },
      },
    ],
  },
});
