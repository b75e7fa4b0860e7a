import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedNode, type TestNode } from '../../../server/test/helpers/start-node';

const root = path.resolve(import.meta.dirname, '../../..');
let node: TestNode;
beforeAll(async () => {
  node = await startEmbeddedNode();
});
afterAll(() => node.stop());

/**
 * The README's quick start, run verbatim as a user would (`node quick-start.mjs` in the
 * repository root, against the built package), pointed at a fresh node on port 0.
 */
it('the README quick start runs as written', async () => {
  const readme = readFileSync(path.join(root, 'client-sdk/README.md'), 'utf8');
  const code = /## Quick start[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  mkdirSync(path.join(root, '.cache'), { recursive: true });
  const file = path.join(root, '.cache/readme-quick-start.mjs');
  writeFileSync(file, code as string);
  const { stdout } = await promisify(execFile)(process.execPath, [file], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PARLEY_URL: node.url },
    timeout: 30_000,
  });
  expect(stdout).toMatch(/status: connected/);
  expect(stdout).toMatch(/#1 [0-9a-f-]{36}: hello/);
}, 40_000);
