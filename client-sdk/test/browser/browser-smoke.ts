/**
 * The SDK's browser build in a real Chromium: two clients in one page register, open a room
 * and exchange messages through an embedded Parley node. Not part of `npm test` (CI machines
 * have no browser); run it with `npm run test:browser -w client-sdk` after
 * `apt-get install chromium`. Prints what the page saw and exits non-zero on failure.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '../../..');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function startNode(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start: ${output}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      output += String(d);
      const match = /parley listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Serves the built SDK, socket.io-client's ESM build and a page that uses them. */
async function startStaticServer(apiUrl: string) {
  const files: Record<string, { file: string; type: string }> = {
    '/sdk/index.js': { file: 'client-sdk/dist/index.js', type: 'text/javascript' },
    '/vendor/socket.io.esm.min.js': {
      file: 'node_modules/socket.io-client/dist/socket.io.esm.min.js',
      type: 'text/javascript',
    },
  };
  const page = `<!doctype html><meta charset="utf-8"><title>parley sdk smoke</title>
<script type="importmap">{ "imports": { "socket.io-client": "/vendor/socket.io.esm.min.js" } }</script>
<script type="module">
import { createParleyClient } from '/sdk/index.js';
const api = ${JSON.stringify(apiUrl)};
const register = async (username) => {
  const res = await fetch(api + '/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery' }) });
  if (res.status !== 201) throw new Error('register ' + res.status);
  return (await res.json()).id;
};
try {
  const suffix = Math.random().toString(36).slice(2, 8);
  const [aliceId, bobId] = [await register('alice_' + suffix), await register('bob_' + suffix)];
  const client = (name) => createParleyClient({ url: api, credentials: { username: name + '_' + suffix, password: 'correct horse battery' } });
  const alice = client('alice'), bob = client('bob');
  await Promise.all([alice.status.waitFor('connected', 10000), bob.status.waitFor('connected', 10000)]);
  const room = await alice.rooms.create({ name: 'browser', memberIds: [bobId] });
  await bob.rooms.join(room.id);
  const got = [];
  const all = new Promise((resolve) => bob.room(room.id).on('message:created', (m) => { got.push(m.body); if (got.length === 3) resolve(); }));
  for (const body of ['one', 'two', 'three']) await alice.room(room.id).send(body);
  await all;
  window.__result = { ok: true, received: got, userAgent: navigator.userAgent, aliceId };
} catch (err) {
  window.__result = { ok: false, error: String(err) };
}
</script>`;
  const server = createServer(async (req, res) => {
    const entry = files[req.url ?? ''];
    if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    if (!entry) return res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': entry.type })
      .end(await readFile(path.join(root, entry.file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => server.close(),
  };
}

const node = await startNode();
const site = await startStaticServer(node.url);
const browser = await chromium.launch({
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(site.url);
  await page.waitForFunction(
    () => (globalThis as unknown as { __result?: unknown }).__result !== undefined,
    undefined,
    {
      timeout: 30_000,
    },
  );
  const result = (await page.evaluate(
    () => (globalThis as unknown as { __result: unknown }).__result,
  )) as {
    ok: boolean;
    received?: string[];
    userAgent?: string;
    error?: string;
  };
  console.log(JSON.stringify({ ...result, pageErrors: errors }, null, 2));
  const passed = result.ok && result.received?.join(',') === 'one,two,three' && errors.length === 0;
  console.log(passed ? 'browser smoke: 1 passed, 0 failed' : 'browser smoke: 0 passed, 1 failed');
  process.exitCode = passed ? 0 : 1;
} finally {
  await browser.close();
  site.close();
  node.stop();
}
