import { defineConfig } from 'tsup';

// Production build: `node server/dist/main.js` (and the two CLIs) with no TypeScript at run
// time. esbuild bundles our own modules (the sources use extensionless relative imports,
// which Node's ESM loader cannot resolve, so per-file tsc output would not run) and leaves
// every package in node_modules external, @parley/contract included (its built dist/).
// Code splitting keeps the lazily imported tracing setup in its own chunk: it is loaded
// only when OpenTelemetry is switched on.
export default defineConfig({
  entry: {
    main: 'src/main.ts',
    'migrate-cli': 'src/storage/cassandra/migrate-cli.ts',
    'admin-create-cli': 'src/auth/admin-create-cli.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: true,
  sourcemap: true,
  clean: true,
  external: [/^[^./]/],
});
