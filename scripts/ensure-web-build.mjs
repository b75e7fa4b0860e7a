// Builds the SDK and the web app when their output is missing or older than their sources,
// so `npm start` on a fresh clone serves a working chat page and tests never see a stale
// build. A fresh build is left alone (a second or so to check).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Newest modification time of the files under `paths` (0 when none exist). */
function newest(paths) {
  let latest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const stat = statSync(p);
    if (stat.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules') visit(path.join(p, name));
    } else latest = Math.max(latest, stat.mtimeMs);
  };
  for (const p of paths) visit(path.join(root, p));
  return latest;
}

function ensure(name, output, sources, workspace) {
  const out = path.join(root, output);
  const built = existsSync(out) ? statSync(out).mtimeMs : 0;
  if (built >= newest(sources)) return;
  console.log(`[ensure-web-build] building ${name}`);
  execFileSync('npm', ['run', 'build', '-w', workspace], { cwd: root, stdio: 'inherit' });
}

ensure(
  'the client SDK',
  'client-sdk/dist/index.js',
  ['client-sdk/src', 'contract/src', 'client-sdk/tsup.config.ts'],
  'client-sdk',
);
ensure(
  'the web app',
  'web/dist/index.html',
  ['web/src', 'web/index.html', 'web/admin.html', 'web/vite.config.ts', 'client-sdk/dist/index.js'],
  'web',
);
