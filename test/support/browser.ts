/**
 * Debian's Chromium driven by playwright-core, as TOOLCHAIN.md measured it:
 * a fresh profile per launch, a phone-sized viewport by default.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Install Debian's chromium when it is missing (root on this machine kind), or say exactly what is needed. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  try {
    console.log('• Installing Debian chromium for the browser tests (apt-get, once)…');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH). ${(err as Error).message}`,
    );
  }
}

export const PHONE = { width: 390, height: 844 };

export async function launch(opts: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  ensureChromium();
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tandem-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? PHONE,
    isMobile: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
