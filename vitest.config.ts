import { defineConfig } from 'vitest/config';

// Unit tests need nothing running. Integration and storage-contract tests need real
// Redis + Cassandra: `npm test` starts them (scripts/test.sh) and passes their
// addresses in PARLEY_TEST_REDIS_URL / PARLEY_TEST_CASSANDRA.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/test/unit/**/*.test.ts', 'client-sdk/test/unit/**/*.test.ts'],
          typecheck: { enabled: true, include: ['client-sdk/test/types/**/*.test-d.ts'] },
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'server/test/contract/**/*.test.ts',
            'server/test/integration/**/*.test.ts',
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
