import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { execFileAsync } from './processes';

/** toxiproxy from the Go module proxy: pinned, built once into the git-ignored .cache. */
export const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';
export const TOXIPROXY_VERSION = 'v2.12.0';

async function which(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('bash', ['-c', `command -v ${command}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Debian packages the checker needs (haproxy, redis-server), installed with apt-get when missing. */
export async function ensureDebianPackage(command: string, pkg: string): Promise<string> {
  const found = await which(command);
  if (found) return found;
  console.log(`chaos: ${command} not found; installing Debian's ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execFileAsync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq'], { env });
  await execFileAsync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', pkg], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const installed = await which(command);
  if (!installed) throw new Error(`apt-get installed ${pkg} but ${command} is still missing`);
  return installed;
}

/** Path of toxiproxy-server, built with `go install` on first use (about two minutes). */
export async function ensureToxiproxy(repoRoot: string): Promise<string> {
  const dir = join(repoRoot, '.cache', 'toxiproxy', TOXIPROXY_VERSION);
  const binary = join(dir, 'toxiproxy-server');
  if (existsSync(binary)) return binary;
  const go =
    (await which('go')) ??
    (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go)
    throw new Error('toxiproxy needs Go (go install from the Go module proxy); install Go first');
  console.log(`chaos: building toxiproxy ${TOXIPROXY_VERSION} with go install (first run only)`);
  mkdirSync(dir, { recursive: true });
  await execFileAsync(go, ['install', `${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}`], {
    // GOTOOLCHAIN=auto lets an older Go fetch the toolchain the module asks for.
    env: { ...process.env, GOBIN: dir, GOTOOLCHAIN: 'auto' },
    maxBuffer: 64 * 1024 * 1024,
  });
  // The module's command is named `server`; give it a name that says what it is.
  renameSync(join(dir, 'server'), binary);
  return binary;
}
