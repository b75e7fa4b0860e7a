import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '../../..');

/** Builds the SDK and web app when stale (the same step `npm start` runs). */
export function ensureWebBuild(): void {
  execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
}

/**
 * The SDK's published ESM build loaded straight into a page (no bundler), with an import
 * map for socket.io-client's ESM build: what a plain `<script type="module">` user gets.
 * Served by the browser context itself under the node's origin, so no extra server.
 */
export async function sdkSmokeRoutes(context: BrowserContext, nodeUrl: string): Promise<void> {
  const files: Record<string, { file: string; type: string }> = {
    '/sdk-smoke/sdk.js': { file: 'client-sdk/dist/index.js', type: 'text/javascript' },
    '/sdk-smoke/socket.io.esm.min.js': {
      file: 'node_modules/socket.io-client/dist/socket.io.esm.min.js',
      type: 'text/javascript',
    },
  };
  const page = `<!doctype html><meta charset="utf-8"><title>parley sdk smoke</title>
<script type="importmap">{ "imports": { "socket.io-client": "/sdk-smoke/socket.io.esm.min.js" } }</script>
<script type="module">
import { createParleyClient, registerUser } from '/sdk-smoke/sdk.js';
const url = location.origin;
const password = 'correct horse battery';
try {
  const suffix = Math.random().toString(36).slice(2, 8);
  const [alice, bob] = ['alice_' + suffix, 'bob_' + suffix];
  await registerUser(url, { username: alice, password });
  const bobUser = await registerUser(url, { username: bob, password });
  const a = createParleyClient({ url, credentials: { username: alice, password } });
  const b = createParleyClient({ url, credentials: { username: bob, password } });
  await Promise.all([a.status.waitFor('connected', 10000), b.status.waitFor('connected', 10000)]);
  const room = await a.rooms.create({ name: 'browser', memberIds: [bobUser.id] });
  await b.rooms.join(room.id);
  const got = [];
  const all = new Promise((resolve) => b.room(room.id).on('message:created', (m) => { got.push(m.body); if (got.length === 3) resolve(); }));
  for (const body of ['one', 'two', 'three']) await a.room(room.id).send(body);
  await all;
  a.close(); b.close();
  window.__result = { ok: true, received: got };
} catch (err) {
  window.__result = { ok: false, error: String(err) };
}
</script>`;
  await context.route(`${nodeUrl}/sdk-smoke/**`, async (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/sdk-smoke/') {
      return route.fulfill({ status: 200, contentType: 'text/html', body: page });
    }
    const entry = files[pathname];
    if (!entry) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({
      status: 200,
      contentType: entry.type,
      body: readFileSync(path.join(root, entry.file)),
    });
  });
}
