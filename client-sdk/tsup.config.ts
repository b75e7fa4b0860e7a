import { resolve } from 'node:path';
import { defineConfig } from 'tsup';

// @parley/contract is private. The SDK takes only types from it, so no contract code reaches
// the bundle. Its declarations, emitted first by `tsc -p tsconfig.contract-types.json` into
// .cache/ (ignored by git, lint and prettier), are inlined into dist/index.d.ts so consumers
// need nothing but this package.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: {
    // The contract's own relative re-exports must be inlined too, or the .d.ts would import them.
    resolve: ['@parley/contract', /^\.\/(ack|errors|events|models|schemas)$/],
    compilerOptions: {
      paths: {
        '@parley/contract': [resolve(import.meta.dirname, '.cache/contract-types/index.d.ts')],
      },
    },
  },
  external: ['socket.io-client'],
  sourcemap: true,
  clean: true,
  outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.js' }),
});
