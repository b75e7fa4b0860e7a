import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const sdkDir = path.resolve(import.meta.dirname, '../..');
const dist = (file: string) => path.join(sdkDir, 'dist', file);

/** What consumers install: the built ESM + CJS bundles and declarations, browser-safe. */
describe('client-sdk package build', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: sdkDir, stdio: 'pipe' });
  }, 60_000);

  it('loads as ESM and as CommonJS with the same public API', async () => {
    const esm = (await import(pathToFileURL(dist('index.js')).href)) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(dist('index.cjs')) as Record<string, unknown>;
    expect(typeof esm.createParleyClient).toBe('function');
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
  });

  it('imports nothing Node-only and bundles no zod, so it runs in browsers', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const code = readFileSync(dist(file), 'utf8');
      expect(code).not.toMatch(
        /from ['"]node:|require\(['"]node:|from ['"](fs|path|crypto|net|http)['"]/,
      );
      expect(code).not.toMatch(/\bzod\b/);
    }
  });

  it('ships declarations that need no private workspace package', () => {
    const dts = readFileSync(dist('index.d.ts'), 'utf8');
    expect(dts).not.toMatch(/@parley\/contract/);
    expect(dts).toMatch(/createParleyClient/);
  });

  it('packs with the repository license (MIT) and the repository directory', () => {
    const manifest = JSON.parse(readFileSync(path.join(sdkDir, 'package.json'), 'utf8')) as {
      license?: string;
      repository?: { directory?: string };
    };
    const root = path.resolve(sdkDir, '..');
    const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      license?: string;
    };
    expect(manifest.license).toBe('MIT');
    expect(rootManifest.license).toBe(manifest.license);
    expect(manifest.repository?.directory).toBe('client-sdk');
    // The packed LICENSE is the repository's own.
    expect(readFileSync(path.join(sdkDir, 'LICENSE'), 'utf8')).toBe(
      readFileSync(path.join(root, 'LICENSE'), 'utf8'),
    );
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: sdkDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
    ]);
  });
});
