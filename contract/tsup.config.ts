import { defineConfig } from 'tsup';

// The runtime form of the contract: plain ESM + declarations in dist/. Development and tests
// read src/ directly (the `paths` entry in tsconfig.base.json, honoured by tsc, tsx and vitest).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  external: ['zod'],
  sourcemap: true,
  clean: true,
});
