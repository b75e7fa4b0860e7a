import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, found at run time: CHROMIUM_PATH, else the first `chromium` /
 * `chromium-browser` on PATH. scripts/test.sh installs it with apt-get when missing.
 */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH; try the next name
    }
  }
  throw new Error(
    "No Chromium found: `npm test` installs Debian's chromium (apt-get install -y chromium); or set CHROMIUM_PATH",
  );
}

/** One headless browser for the whole file; tests open contexts (separate sessions) on it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // The SDK smoke page is served by the test itself (context.route), which Chromium
      // counts as a public page; let it reach the node on 127.0.0.1 like the served app does.
      '--disable-features=LocalNetworkAccessChecks',
    ],
  });
}
